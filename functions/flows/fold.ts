import { forEachLimited, getAll } from '../shared/batch-writer.ts';
import { MARKER_TTL_SECONDS, MAX_ACTIONS, mergeUpdates, type CounterUpdate } from '../shared/exactly-once.ts';
import { foldMarked } from '../shared/marked-fold.ts';
import { deltaRows, foldedUpdate, foldMarkerId, PENDING_PREFIX, type FlowDelta } from './storage.ts';

export interface FoldOptions {
  flowsTable: string;
  markerTable: string;
  /** How long a fold marker is kept: longer than a message can live in the queue and its DLQ. */
  markerTtlSeconds?: number;
}

export interface FoldResult {
  /** Deltas whose rows went into the folded sums. */
  folded: number;
  /** Copies of deltas folded before (a redelivered message put them again): deleted, not added. */
  duplicates: number;
  transactions: number;
}

/** Hour shards folded at the same time: they share no item, so their transactions never conflict. */
const PARALLEL_PARTITIONS = 4;

type DeltaKey = Pick<FlowDelta, 'pk' | 'sk'>;

/**
 * Moves pending deltas into the folded sums, each exactly once: one transaction adds a
 * delta's rows to the folded items, puts its marker (attribute_not_exists) and deletes it,
 * so the rows are either pending or folded, never both and never neither. A delta put again
 * after it was folded (its message redelivered) fails on its marker and is only deleted;
 * readers skip such a copy by the same marker (read-store.ts). Deltas of one hour shard fold
 * one transaction after another, several to a transaction when they fit, with their rows
 * summed per key.
 */
export async function foldDeltas(keys: readonly DeltaKey[], options: FoldOptions): Promise<FoldResult> {
  const pending = keys.filter((k) => k.pk.startsWith(PENDING_PREFIX)).map((k) => ({ pk: k.pk, sk: k.sk }));
  // Consistent: a delta that a stream record names was just written (twice, when redelivered: read once). Absent: folded already.
  const deltas = (await getAll(options.flowsTable, pending, true)) as unknown as FlowDelta[];
  const byPartition = new Map<string, FlowDelta[]>();
  for (const delta of deltas.sort((a, b) => (a.sk < b.sk ? -1 : 1))) byPartition.set(delta.pk, [...(byPartition.get(delta.pk) ?? []), delta]);
  const result: FoldResult = { folded: 0, duplicates: 0, transactions: 0 };
  await forEachLimited([...byPartition.values()], PARALLEL_PARTITIONS, async (partition) => {
    for (const group of packDeltas(partition, options.flowsTable)) await foldGroup(group, options, result);
  });
  return result;
}

type PlannedDelta = { delta: FlowDelta; updates: CounterUpdate[] };

/** Deltas packed into transactions: each delta's marker and delete, plus one update per distinct key. */
function packDeltas(deltas: readonly FlowDelta[], table: string): PlannedDelta[][] {
  const groups: PlannedDelta[][] = [];
  let group: PlannedDelta[] = [];
  let keys = new Set<string>();
  for (const delta of deltas) {
    const updates = deltaRows(delta.rows).map((row) => foldedUpdate(table, delta.hour, delta.shard, row));
    const added = updates.filter((u) => !keys.has(String(u.key.sk))).length;
    if (group.length > 0 && 2 * (group.length + 1) + keys.size + added > MAX_ACTIONS) {
      groups.push(group);
      group = [];
      keys = new Set();
    }
    group.push({ delta, updates });
    for (const u of updates) keys.add(String(u.key.sk));
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function foldGroup(group: PlannedDelta[], options: FoldOptions, result: FoldResult): Promise<void> {
  const { folded, duplicates } = await foldMarked(group, {
    table: options.flowsTable,
    markerTable: options.markerTable,
    expiresAt: Math.floor(Date.now() / 1000) + (options.markerTtlSeconds ?? MARKER_TTL_SECONDS),
    keyOf: ({ delta }) => ({ pk: delta.pk, sk: delta.sk }),
    markerIdOf: ({ delta }) => foldMarkerId(delta),
    updatesOf: (planned) => mergeUpdates(planned.flatMap((g) => g.updates)).map(sumsUpdate),
  });
  if (folded > 0) result.transactions++;
  result.folded += folded;
  result.duplicates += duplicates;
}

/** ADD the sums, SET the names: one UpdateItem of a transaction. */
function sumsUpdate(update: CounterUpdate) {
  const fields = [...Object.entries(update.add).map(([name, value]) => ({ name, value, add: true })), ...Object.entries(update.set ?? {}).map(([name, value]) => ({ name, value, add: false }))];
  const names = Object.fromEntries(fields.map((f, i) => [`#n${i}`, f.name]));
  const values = Object.fromEntries(fields.map((f, i) => [`:v${i}`, f.value]));
  const adds = fields.flatMap((f, i) => (f.add ? [`#n${i} :v${i}`] : []));
  const sets = fields.flatMap((f, i) => (f.add ? [] : [`#n${i} = :v${i}`]));
  return {
    TableName: update.table,
    Key: update.key,
    UpdateExpression: `ADD ${adds.join(', ')} SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
