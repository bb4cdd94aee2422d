import { addExact } from '../shared/exactly-once.ts';
import { serviceUnavailable } from '../shared/errors.ts';
import { markersFound } from '../shared/marked-fold.ts';
import { backoffDelay, sleep } from '../shared/retry.ts';
import { queryPage, queryPartition } from '../shared/partition-query.ts';
import { flowsConfig } from './config.ts';
import { deltaRows, foldMarkerId, hourPartition, pendingPartition, type FlowDelta, type HourPosition } from './storage.ts';

/** The DynamoDB reads of the flows query (key design in storage.ts). */

type Item = Record<string, unknown>;

export interface HourPage {
  /** The hour's rows from the position on, at most `limit`. */
  rows: Item[];
  /** Where the next page starts; undefined when the hour has no more rows. */
  next: HourPosition | undefined;
}

/** Reads of a shard begun again when a fold moved a delta while it was read, before a 503. */
const FOLD_RACE_ATTEMPTS = 40;

/**
 * Up to `limit` rows of an hour from `from` on, and where the next page starts when a row
 * follows them. The hour's shards are read in order, each in key order (its folded sums with
 * its pending deltas added), so the rows concatenate without a merge and a position is a
 * shard and a key. One row more than asked is read, so that a page that ends the hour says
 * so, rather than leading to an empty one.
 */
export async function readHour(hour: number, limit: number, from: HourPosition): Promise<HourPage> {
  const rows: Item[] = [];
  const positions: HourPosition[] = [];
  let position: HourPosition | undefined = from;
  while (position !== undefined && rows.length <= limit) {
    const page = await readShard(hour, position, limit + 1 - rows.length);
    for (const row of page.rows) {
      rows.push(row);
      positions.push({ shard: position.shard, after: String(row.sk) });
    }
    position = page.lastKey !== undefined
      ? { shard: position.shard, after: page.lastKey }
      : position.shard + 1 < flowsConfig().shards ? { shard: position.shard + 1 } : undefined;
  }
  if (rows.length <= limit) return { rows, next: undefined };
  const [last, following] = [positions[limit - 1] as HourPosition, positions[limit] as HourPosition];
  // A row past the page in a later shard is that shard's first: the next page starts there, not in a shard it finished.
  return { rows: rows.slice(0, limit), next: following.shard > last.shard ? { shard: following.shard } : last };
}

/**
 * Up to `limit` rows of one shard after `after`, with `lastKey` set when the shard may hold
 * more: its folded sums with its pending deltas added, each delta once. A fold moves a delta
 * in one transaction (its marker, its delete, its rows into the sums), and a read begun after
 * another saw one write of a transaction sees them all. The reads, in turn: (1) the pending
 * deltas, (2) their fold markers, (3) the sums page, (4) again the markers of the deltas that
 * had none in (2).
 * - Marker in (2): folded before (3) began, so the sums hold it; the delta is a copy put
 *   again after its fold: skipped.
 * - No marker in (2) nor (4): no fold of it had committed by (4), so (3) saw none of it (a
 *   Query is read-committed and may see part of a transaction, but (4) would then see the
 *   marker written in the same one): pending, counted from (1).
 * - A marker in (4) only: folded in between, into the sums read or not: the shard is read
 *   again (a 503 after FOLD_RACE_ATTEMPTS).
 * A delta not listed in (1) was folded before it (the sums hold it) or put after it began: a
 * write concurrent with the read, in the sums or not, never counted as pending. Listing the
 * keys again instead of (4) would take a delta folded and put back under the same key for one
 * never folded. Every read is strongly consistent: a stale one may answer from before a fold
 * or a put that an earlier read saw.
 */
async function readShard(hour: number, position: HourPosition, limit: number): Promise<{ rows: Item[]; lastKey?: string }> {
  const config = flowsConfig();
  const pendingPk = pendingPartition(hour, position.shard);
  for (let attempt = 1; ; attempt++) {
    const listed = (await queryPartition(config.flowsTable, pendingPk, { consistent: true })) as unknown as FlowDelta[];
    const copies = await markersFound(config.idempotencyTable, listed.map(foldMarkerId));
    const folded = await queryPage(config.flowsTable, hourPartition(hour, position.shard), { after: position.after, limit, consistent: true });
    const pending = listed.filter((d) => !copies.has(foldMarkerId(d)));
    if ((await markersFound(config.idempotencyTable, pending.map(foldMarkerId))).size === 0) {
      return mergeShard(folded.items, pending, position.after, folded.lastEvaluatedKey?.sk as string | undefined, limit);
    }
    // Never a sum that may count a delta twice or not at all: read again, or say so.
    if (attempt >= FOLD_RACE_ATTEMPTS) throw serviceUnavailable('the hour is being folded; try again');
    await sleep(backoffDelay(attempt, 5, 100));
  }
}

/**
 * Folded rows (a key-ordered page that stops at `cut` when more follow) with pending rows
 * added: keys past `after`, and not past `cut`, whose rows the next page reads.
 */
function mergeShard(folded: Item[], pending: FlowDelta[], after: string | undefined, cut: string | undefined, limit: number): { rows: Item[]; lastKey?: string } {
  const byKey = new Map<string, Item>(folded.map((item) => [String(item.sk), { ...item }]));
  for (const delta of pending) {
    for (const row of deltaRows(delta.rows)) {
      if ((after !== undefined && row.key <= after) || (cut !== undefined && row.key > cut)) continue;
      const item = byKey.get(row.key);
      if (item === undefined) byKey.set(row.key, { sk: row.key, src_app: row.src_app, dest_app: row.dest_app, vpc_id: row.vpc_id, bytes_tx: row.bytes_tx, bytes_rx: row.bytes_rx });
      else {
        item.bytes_tx = addExact(item.bytes_tx as number | bigint, row.bytes_tx);
        item.bytes_rx = addExact(item.bytes_rx as number | bigint, row.bytes_rx);
      }
    }
  }
  const keys = [...byKey.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const taken = keys.slice(0, limit);
  const more = cut !== undefined || keys.length > limit;
  return { rows: taken.map((k) => byKey.get(k) as Item), lastKey: more ? (taken.at(-1) ?? cut) : undefined };
}
