import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from './batch-writer.ts';
import { documentClient } from './dynamodb-client.ts';
import { backoffDelay, sleep } from './retry.ts';

/** An increment of numeric attributes (and idempotent sets) on one item. */
export interface CounterUpdate {
  table: string;
  key: Record<string, string | number>;
  /** Integers to add; bigint where a sum may pass 2^53 (DynamoDB numbers hold 38 digits). */
  add: Record<string, number | bigint>;
  set?: Record<string, unknown>;
  /**
   * Set only where the stored value is later (ISO timestamps such as first_seen): the mirror
   * of setIfNewer, moving only backward, so the earliest value wins whatever the order.
   */
  setIfOlder?: Record<string, string>;
  /**
   * Set only where the stored value is older (ISO timestamps such as last_seen). Set in the
   * transaction where absent, then moved forward outside it with a condition: moving only
   * forward, it is idempotent and the result does not depend on the order messages arrive in.
   */
  setIfNewer?: Record<string, string>;
}

/** Updates that must take effect exactly once, guarded by one marker id. */
export interface IdempotentUnit {
  id: string;
  updates: CounterUpdate[];
}

export interface ExactlyOnceOptions {
  markerTable: string;
  /** How long a marker is kept: longer than any message can live in a queue and its DLQ. */
  markerTtlSeconds?: number;
}

const MAX_ACTIONS = 100; // TransactWriteItems' limit
const RETRYABLE = new Set(['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);
const ATTEMPTS = 10;
const DEFAULT_MARKER_TTL_SECONDS = 30 * 24 * 3600;

/**
 * Applies each unit's updates exactly once, however often it is retried: a unit's
 * marker is put under attribute_not_exists in the same transaction as its updates,
 * so the two commit together or not at all. Units are packed many to a transaction,
 * their updates summed per item (one action per item, as transactions require); a unit
 * too big for one transaction is split into deterministic parts, each with its own
 * marker. When a marker already exists that unit was applied before and is dropped.
 * Returns the ids of units found already applied.
 */
export async function applyExactlyOnce(units: readonly IdempotentUnit[], options: ExactlyOnceOptions): Promise<string[]> {
  const alreadyApplied: string[] = [];
  // One marker per id: copies of a unit (a message delivered twice) apply once.
  const unique = [...new Map(units.map((unit) => [unit.id, unit])).values()];
  const transactional = unique.map((unit) => ({ id: unit.id, updates: unit.updates.filter(changesInTransaction) }));
  for (const group of packTransactions(transactional.flatMap(splitOversized))) {
    alreadyApplied.push(...(await commitGroup(group, options)));
  }
  await applyNewer(mergeUpdates(unique.flatMap((u) => u.updates)).filter((u) => u.setIfNewer !== undefined || u.setIfOlder !== undefined));
  return alreadyApplied;
}

function changesInTransaction(update: CounterUpdate): boolean {
  return [update.add, update.set ?? {}, update.setIfOlder ?? {}, update.setIfNewer ?? {}].some((part) => Object.keys(part).length > 0);
}

async function applyNewer(updates: CounterUpdate[]): Promise<void> {
  const moves = updates.flatMap((update) => [
    ...Object.entries(update.setIfNewer ?? {}).map(([name, value]) => ({ update, name, value, condition: 'attribute_not_exists(#n) OR #n < :v' })),
    ...Object.entries(update.setIfOlder ?? {}).map(([name, value]) => ({ update, name, value, condition: 'attribute_not_exists(#n) OR #n > :v' })),
  ]);
  await forEachLimited(moves, 8, async ({ update, name, value, condition }) => {
    try {
      await documentClient().send(
        new UpdateCommand({
          TableName: update.table,
          Key: update.key,
          UpdateExpression: 'SET #n = :v',
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#n': name },
          ExpressionAttributeValues: { ':v': value },
        }),
      );
    } catch (error) {
      if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    }
  });
}

/** Sums updates that target the same item. */
export function mergeUpdates(updates: readonly CounterUpdate[]): CounterUpdate[] {
  const merged = new Map<string, CounterUpdate>();
  for (const update of updates) {
    const id = itemId(update);
    const existing = merged.get(id);
    if (existing === undefined) {
      merged.set(id, {
        table: update.table,
        key: update.key,
        add: { ...update.add },
        set: update.set && { ...update.set },
        setIfOlder: update.setIfOlder && { ...update.setIfOlder },
        setIfNewer: update.setIfNewer && { ...update.setIfNewer },
      });
      continue;
    }
    for (const [name, value] of Object.entries(update.setIfNewer ?? {})) {
      existing.setIfNewer ??= {};
      const current = existing.setIfNewer[name];
      if (current === undefined || current < value) existing.setIfNewer[name] = value;
    }
    for (const [name, value] of Object.entries(update.add)) existing.add[name] = addExact(existing.add[name] ?? 0, value);
    for (const [name, value] of Object.entries(update.setIfOlder ?? {})) {
      existing.setIfOlder ??= {};
      const current = existing.setIfOlder[name];
      if (current === undefined || current > value) existing.setIfOlder[name] = value;
    }
    if (update.set) existing.set = { ...existing.set, ...update.set };
  }
  return [...merged.values()];
}

/** a + b, exact: a number while the sum is a safe integer, a bigint past it. */
export function addExact(a: number | bigint, b: number | bigint): number | bigint {
  if (typeof a === 'number' && typeof b === 'number' && Number.isSafeInteger(a + b)) return a + b;
  return BigInt(a) + BigInt(b);
}

function itemId(update: CounterUpdate): string {
  const key = Object.keys(update.key).sort().map((k) => [k, update.key[k]]);
  return `${update.table}\u0000${JSON.stringify(key)}`;
}

function splitOversized(unit: IdempotentUnit): IdempotentUnit[] {
  const updates = mergeUpdates(unit.updates);
  const room = MAX_ACTIONS - 1;
  if (updates.length <= room) return [{ id: unit.id, updates }];
  // Sorted so that a redelivered message splits into exactly the same parts.
  updates.sort((a, b) => (itemId(a) < itemId(b) ? -1 : 1));
  const parts: IdempotentUnit[] = [];
  for (let i = 0; i < updates.length; i += room) parts.push({ id: `${unit.id}#part${i / room}`, updates: updates.slice(i, i + room) });
  return parts;
}

function packTransactions(units: IdempotentUnit[]): IdempotentUnit[][] {
  const groups: IdempotentUnit[][] = [];
  let group: IdempotentUnit[] = [];
  let items = new Set<string>();
  for (const unit of units) {
    const unitItems = unit.updates.map(itemId);
    const newItems = unitItems.filter((id) => !items.has(id)).length;
    if (group.length > 0 && group.length + 1 + items.size + newItems > MAX_ACTIONS) {
      groups.push(group);
      group = [];
      items = new Set();
    }
    group.push(unit);
    for (const id of unitItems) items.add(id);
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

async function commitGroup(initial: IdempotentUnit[], options: ExactlyOnceOptions): Promise<string[]> {
  let group = initial;
  const alreadyApplied: string[] = [];
  const expiresAt = Math.floor(Date.now() / 1000) + (options.markerTtlSeconds ?? DEFAULT_MARKER_TTL_SECONDS);
  for (let attempt = 0; group.length > 0; attempt++) {
    const updates = mergeUpdates(group.flatMap((u) => u.updates));
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            ...group.map((unit) => ({
              Put: {
                TableName: options.markerTable,
                Item: { id: unit.id, expires_at: expiresAt },
                ConditionExpression: 'attribute_not_exists(id)',
              },
            })),
            ...updates.map((update) => ({ Update: updateAction(update) })),
          ],
        }),
      );
      return alreadyApplied;
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      const applied = group.filter((_, i) => reasons[i] === 'ConditionalCheckFailed');
      if (applied.length > 0) {
        alreadyApplied.push(...applied.map((u) => u.id));
        group = group.filter((u) => !applied.includes(u));
        continue;
      }
      if (!reasons.some((code) => code !== undefined && RETRYABLE.has(code)) || attempt + 1 >= ATTEMPTS) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
  return alreadyApplied;
}

function cancellationReasons(error: unknown): (string | undefined)[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = (error as Error & { CancellationReasons?: { Code?: string }[] }).CancellationReasons;
  return (reasons ?? []).map((r) => (r.Code === 'None' ? undefined : r.Code));
}

function updateAction(update: CounterUpdate) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const adds = Object.entries(update.add).map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    return `#a${i} :a${i}`;
  });
  const sets = Object.entries(update.set ?? {}).map(([name, value], i) => {
    names[`#s${i}`] = name;
    values[`:s${i}`] = value;
    return `#s${i} = :s${i}`;
  });
  // Newer- and older-only values start in the transaction, so readers never see the counters
  // without them; applyNewer moves them forward afterwards.
  Object.entries({ ...update.setIfNewer, ...update.setIfOlder }).forEach(([name, value], i) => {
    names[`#f${i}`] = name;
    values[`:f${i}`] = value;
    sets.push(`#f${i} = if_not_exists(#f${i}, :f${i})`);
  });
  const expression = [adds.length > 0 ? `ADD ${adds.join(', ')}` : '', sets.length > 0 ? `SET ${sets.join(', ')}` : '']
    .filter(Boolean)
    .join(' ');
  return {
    TableName: update.table,
    Key: update.key,
    UpdateExpression: expression,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
