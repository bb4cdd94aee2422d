import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { addExact, MARKER_TTL_SECONDS, MAX_ACTIONS } from '../shared/exactly-once.ts';
import { expressionPlaceholders } from '../shared/expression-placeholders.ts';
import { foldMarked } from '../shared/marked-fold.ts';
import { PACKET_COUNT_ATTRIBUTE_PREFIX, PACKET_SIGHTING_PREFIX, foldedSightingsKey, sightingFoldMarkerId, type Key } from './storage.ts';

type Item = Record<string, unknown>;

export interface SightingsFoldOptions {
  devicesTable: string;
  markerTable: string;
  /** How long a fold marker is kept: longer than a message can live in the queue and its DLQ. */
  markerTtlSeconds?: number;
}

export interface SightingsFoldResult {
  /** Sightings whose counts went into the folded shard. */
  folded: number;
  /** Copies of sightings folded before (a redelivered message put them again): deleted, not added. */
  duplicates: number;
  transactions: number;
}

/** Each sighting takes its marker and its delete; the folded shard's update takes one action. */
const PER_TRANSACTION = Math.floor((MAX_ACTIONS - 1) / 2);

/**
 * Moves one device's pending sightings (items read in full) into its folded shard, each
 * exactly once: a transaction adds the sightings' counts to the shard, moves its first_seen,
 * last_seen and address, puts a marker per sighting (attribute_not_exists) and deletes
 * them, so a sighting is either pending or folded, never both and never neither. A sighting
 * put again after its fold (its message redelivered) fails on its marker and is only
 * deleted; readers skip such a copy by the same marker (read-store.ts). The shard's times
 * and address are set from the shard as read, under a condition on its fold_version, so two
 * folds of one device cannot both set them from the same reading.
 */
export async function foldSightings(mac: string, sightings: readonly Item[], options: SightingsFoldOptions): Promise<SightingsFoldResult> {
  const pending = sightings.filter((s) => String(s.sk).startsWith(PACKET_SIGHTING_PREFIX)).sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1));
  const result: SightingsFoldResult = { folded: 0, duplicates: 0, transactions: 0 };
  for (let i = 0; i < pending.length; i += PER_TRANSACTION) await foldGroup(mac, pending.slice(i, i + PER_TRANSACTION), options, result);
  return result;
}

async function foldGroup(mac: string, group: Item[], options: SightingsFoldOptions, result: SightingsFoldResult): Promise<void> {
  const shardKey = foldedSightingsKey(mac);
  const { folded, duplicates } = await foldMarked(group, {
    table: options.devicesTable,
    markerTable: options.markerTable,
    expiresAt: Math.floor(Date.now() / 1000) + (options.markerTtlSeconds ?? MARKER_TTL_SECONDS),
    keyOf,
    markerIdOf: (s) => sightingFoldMarkerId(keyOf(s)),
    // The shard as stored now: its times, address and fold_version go into the update's values and condition.
    updatesOf: async (sightings) => {
      const shard = (await documentClient().send(new GetCommand({ TableName: options.devicesTable, Key: shardKey, ConsistentRead: true }))).Item;
      return [{ TableName: options.devicesTable, Key: shardKey, ...shardUpdate(mac, shard, sightings) }];
    },
  });
  if (folded > 0) result.transactions++;
  result.folded += folded;
  result.duplicates += duplicates;
}

const keyOf = (item: Item): Key => ({ pk: String(item.pk), sk: String(item.sk) });
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The folded shard's update: the sightings' counts added; first_seen, last_seen and the
 * address (the one seen last, the larger on equal times, as the writer picks) set from the
 * shard as read and the sightings, under the condition that the shard is still as read.
 */
function shardUpdate(mac: string, shard: Item | undefined, group: readonly Item[]) {
  const counts = new Map<string, number | bigint>();
  let first = text(shard?.first_seen);
  let last = text(shard?.last_seen);
  let ip = text(shard?.ip_address);
  let ipSeen = text(shard?.ip_seen);
  for (const s of group) {
    for (const [name, value] of Object.entries(s)) {
      if (name.startsWith(PACKET_COUNT_ATTRIBUTE_PREFIX) && (typeof value === 'number' || typeof value === 'bigint')) counts.set(name, addExact(counts.get(name) ?? 0, value));
    }
    const [f, l, a, at] = [text(s.first_seen), text(s.last_seen), text(s.ip_address), text(s.ip_seen)];
    if (f !== undefined && (first === undefined || f < first)) first = f;
    if (l !== undefined && (last === undefined || l > last)) last = l;
    if (a !== undefined && at !== undefined && (ipSeen === undefined || at > ipSeen || (at === ipSeen && a > (ip ?? '')))) [ip, ipSeen] = [a, at];
  }
  const { names, values, name, value } = expressionPlaceholders();
  const version = typeof shard?.fold_version === 'number' ? shard.fold_version : undefined;
  const sets = [`${name('mac_address')} = ${value(mac)}`, `${name('fold_version')} = ${value((version ?? 0) + 1)}`];
  if (first !== undefined) sets.push(`${name('first_seen')} = ${value(first)}`);
  if (last !== undefined) sets.push(`${name('last_seen')} = ${value(last)}`);
  if (ip !== undefined && ipSeen !== undefined) sets.push(`${name('ip_address')} = ${value(ip)}`, `${name('ip_seen')} = ${value(ipSeen)}`);
  const adds = [...counts].map(([n, v]) => `${name(n)} ${value(v)}`);
  const condition = shard === undefined ? 'attribute_not_exists(pk)' : version === undefined ? `attribute_not_exists(${name('fold_version')})` : `${name('fold_version')} = ${value(version)}`;
  return {
    UpdateExpression: `SET ${sets.join(', ')}${adds.length > 0 ? ` ADD ${adds.join(', ')}` : ''}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
