import { DeleteCommand, TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { getAll } from './batch-writer.ts';
import { documentClient } from './dynamodb-client.ts';
import { cancellationReasons, RETRYABLE } from './exactly-once.ts';
import { backoffDelay, sleep } from './retry.ts';

type UpdateAction = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Update']>;

export interface MarkedFold<T> {
  /** The table of the pending items, which the fold deletes. */
  table: string;
  markerTable: string;
  /** When the markers expire (epoch seconds): after a copy of a pending item can no longer come back. */
  expiresAt: number;
  keyOf: (item: T) => Record<string, unknown>;
  markerIdOf: (item: T) => string;
  /** The updates that add these items to their sums, planned again on every attempt (one may depend on what is stored). */
  updatesOf: (items: readonly T[]) => Promise<UpdateAction[]> | UpdateAction[];
}

const ATTEMPTS = 10;
/** Attempts begun again because an update's condition failed: what it depends on changed since it was planned. */
const STATE_ATTEMPTS = 10;

/**
 * Folds pending items into their sums in one transaction, each exactly once: a marker per
 * item (attribute_not_exists), the item's delete, and the updates, so an item is either
 * pending or folded, never both and never neither. An item whose marker exists is a copy put
 * again after its fold (its message redelivered): it is only deleted, and the rest tried
 * again. Returns how many were folded (0 when every one was such a copy) and how many copies.
 */
export async function foldMarked<T>(initial: readonly T[], fold: MarkedFold<T>): Promise<{ folded: number; duplicates: number }> {
  let items = [...initial];
  let duplicates = 0;
  let stateAttempts = 0;
  for (let attempt = 0; items.length > 0; attempt++) {
    const updates = await fold.updatesOf(items);
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            ...items.map((item) => ({
              Put: { TableName: fold.markerTable, Item: { id: fold.markerIdOf(item), expires_at: fold.expiresAt }, ConditionExpression: 'attribute_not_exists(id)' },
            })),
            ...items.map((item) => ({ Delete: { TableName: fold.table, Key: fold.keyOf(item) } })),
            ...updates.map((update) => ({ Update: update })),
          ],
        }),
      );
      return { folded: items.length, duplicates };
    } catch (error) {
      const reasons = cancellationReasons(error)?.map((r) => r.code);
      if (reasons === undefined) throw error;
      const foldedBefore = items.filter((_, i) => reasons[i] === 'ConditionalCheckFailed');
      if (foldedBefore.length > 0) {
        for (const item of foldedBefore) await documentClient().send(new DeleteCommand({ TableName: fold.table, Key: fold.keyOf(item) }));
        duplicates += foldedBefore.length;
        items = items.filter((item) => !foldedBefore.includes(item));
        attempt--;
        continue;
      }
      if (reasons.slice(2 * items.length).includes('ConditionalCheckFailed')) {
        if (++stateAttempts >= STATE_ATTEMPTS) throw error;
        attempt--;
        continue;
      }
      if (!reasons.some((code) => code !== undefined && RETRYABLE.has(code)) || attempt + 1 >= ATTEMPTS) throw error;
      await sleep(backoffDelay(attempt));
    }
  }
  return { folded: 0, duplicates };
}

/**
 * Which of these fold markers exist, read strongly consistent (one BatchGetItem per 100): a
 * reader adding pending items to their sums skips those folded before it read the sums.
 */
export async function markersFound(markerTable: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  return new Set((await getAll(markerTable, ids.map((id) => ({ id })), true)).map((marker) => String(marker.id)));
}
