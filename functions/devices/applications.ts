import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { forEachLimited } from '../shared/batch-writer.ts';
import { documentClient } from '../shared/dynamodb-client.ts';
import { RETRYABLE, cancellationReasons, itemId, mergeUpdates, type CounterUpdate, type IdempotentUnit } from '../shared/exactly-once.ts';
import { expressionPlaceholders } from '../shared/expression-placeholders.ts';
import { backoffDelay, sleep } from '../shared/retry.ts';
import { APPLICATION_COUNTED, APPLICATION_COUNT_ATTRIBUTE, APPLICATION_PREFIX, applicationCountKey, macOfDevicePartition } from './storage.ts';

/** Application items this process has seen stored: updating them needs no creating transaction. Bounded. */
const MAX_KNOWN = 50_000;
const known = new Set<string>();
/** Items created per transaction: each with its count shard, within TransactWriteItems' 100 actions. */
const CREATES_PER_TRANSACTION = 40;
const ATTEMPTS = 10;
/** Transactions in flight: a burst of new flows (a message can name a thousand) is not one long queue of them. */
const PARALLEL_TRANSACTIONS = 4;

export const isApplicationUpdate = (update: CounterUpdate): boolean => String(update.key.sk).startsWith(APPLICATION_PREFIX);

/**
 * Creates the application items these units update that do not exist yet, each in a
 * transaction that also adds one to its device's application count (a shard chosen by the
 * flow's digest). The condition that the item does not exist is what keeps the count exact:
 * a redelivered message, or a writer that created the item first, finds it and counts
 * nothing, so no marker is needed. Returns the units without the updates applied so (their
 * item holds what those updates set); updates of items that exist stay, for
 * applyExactlyOnce's idempotent path. Application items are never deleted, so an item
 * once seen stored is not created again.
 */
export async function createApplications(units: readonly IdempotentUnit[]): Promise<IdempotentUnit[]> {
  const pending = mergeUpdates(units.flatMap((unit) => unit.updates.filter((u) => isApplicationUpdate(u) && !known.has(itemId(u)))));
  const created = new Set<string>();
  const groups: CounterUpdate[][] = [];
  for (let i = 0; i < pending.length; i += CREATES_PER_TRANSACTION) groups.push(pending.slice(i, i + CREATES_PER_TRANSACTION));
  await forEachLimited(groups, PARALLEL_TRANSACTIONS, async (group) => {
    for (const id of await createGroup(group)) created.add(id);
  });
  return units.map((unit) => ({ id: unit.id, updates: unit.updates.filter((u) => !(isApplicationUpdate(u) && created.has(itemId(u)))) }));
}

/** Creates what of the group does not exist; returns the ids of the items it created. */
async function createGroup(initial: CounterUpdate[]): Promise<string[]> {
  let group = initial;
  for (let attempt = 0; group.length > 0; attempt++) {
    const counts = mergeUpdates(group.map((u) => ({ table: u.table, key: applicationCountKey(macOfDevicePartition(String(u.key.pk)), digestOf(u)), add: { [APPLICATION_COUNT_ATTRIBUTE]: 1 } })));
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            ...group.map((update) => ({ Update: creation(update) })),
            ...counts.map((count) => countAction(count.table, count.key, count.add[APPLICATION_COUNT_ATTRIBUTE] ?? 0)),
          ],
        }),
      );
      remember(group);
      return group.map(itemId);
    } catch (error) {
      const reasons = cancellationReasons(error);
      if (reasons === undefined) throw error;
      // Items that exist already: their updates take the idempotent path.
      const existing = group.filter((_, i) => reasons[i]?.code === 'ConditionalCheckFailed');
      if (existing.length > 0) {
        remember(existing);
        group = group.filter((u) => !existing.includes(u));
        attempt--;
        continue;
      }
      if (!reasons.some((r) => r.code !== undefined && RETRYABLE.has(r.code)) || attempt + 1 >= ATTEMPTS) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
  return [];
}

/** A transaction's action that adds `n` to an application count shard (applicationCountKey). */
export function countAction(table: string, key: CounterUpdate['key'], n: number | bigint) {
  return { Update: { TableName: table, Key: key, UpdateExpression: 'ADD #n :v', ExpressionAttributeNames: { '#n': APPLICATION_COUNT_ATTRIBUTE }, ExpressionAttributeValues: { ':v': n } } };
}

function remember(updates: readonly CounterUpdate[]): void {
  if (known.size + updates.length > MAX_KNOWN) known.clear();
  for (const u of updates) known.add(itemId(u));
}

const digestOf = (update: CounterUpdate): string => String(update.key.sk).slice(APPLICATION_PREFIX.length);

/** The item as the update would leave a new one: every value set, on condition that there is none. */
function creation(update: CounterUpdate) {
  const { names, values, name, value } = expressionPlaceholders();
  const fields = { ...update.set, ...update.setIfOlder, ...update.setIfNewer, ...Object.assign({}, ...Object.values(update.setWithNewer ?? {})), [APPLICATION_COUNTED]: true } as Record<string, unknown>;
  const key = name('pk');
  return {
    TableName: update.table,
    Key: update.key,
    UpdateExpression: `SET ${Object.entries(fields).map(([n, v]) => `${name(n)} = ${value(v)}`).join(', ')}`,
    ConditionExpression: `attribute_not_exists(${key})`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
