import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { queryPartition } from '../shared/partition-query.ts';

/**
 * The open WebSocket connections. All share one partition, so that the broadcaster lists
 * them with a Query rather than a Scan; an item is the connection id and when it was last
 * pushed to. API Gateway closes a connection after 2 hours at most, so items expire
 * (TTL) a little after that even when $disconnect never ran.
 */
const PARTITION = 'connection';
const MAX_CONNECTION_SECONDS = 2 * 3600 + 600;
/** At most one push per connection per this many milliseconds. */
export const PUSH_INTERVAL_MS = 1000;

export const connectionKey = (connectionId: string) => ({ pk: PARTITION, sk: connectionId });
/** Whether an item of the table is a connection (the table holds other items too). */
export const isConnectionKey = (pk: string | undefined): boolean => pk === PARTITION;

export async function addConnection(table: string, connectionId: string, now = Date.now()): Promise<void> {
  await documentClient().send(
    new PutCommand({ TableName: table, Item: { ...connectionKey(connectionId), connected_at: now, expires_at: Math.floor(now / 1000) + MAX_CONNECTION_SECONDS } }),
  );
}

export async function removeConnection(table: string, connectionId: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: table, Key: connectionKey(connectionId) }));
}

export async function listConnections(table: string): Promise<string[]> {
  return (await queryPartition(table, PARTITION, { attributes: ['sk'] })).map((item) => String(item.sk));
}

/** What a refused claim learns of the connection's last push (nothing when it is gone). */
export interface PushSlot {
  /** When the last push claimed the slot: a push claimed at or after a change reads it. */
  pushedAt?: number;
  /** When a push last confirmed its claim and sent. */
  sentAt?: number;
}

/**
 * Claims the connection's next push slot: succeeds when no push claimed it or sent to it
 * within the last PUSH_INTERVAL_MS. Otherwise answers the connection's last claim and send,
 * so that the caller can wait for the slot or leave the push to whoever claimed it (or
 * nothing when the connection has been removed meanwhile).
 */
export async function claimPush(table: string, connectionId: string, now = Date.now()): Promise<{ claimed: true } | ({ claimed: false } & PushSlot)> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: connectionKey(connectionId),
        UpdateExpression: 'SET pushed_at = :now',
        ConditionExpression:
          'attribute_exists(sk) AND (attribute_not_exists(pushed_at) OR pushed_at <= :cutoff) AND (attribute_not_exists(sent_at) OR sent_at <= :cutoff)',
        ExpressionAttributeValues: { ':now': now, ':cutoff': now - PUSH_INTERVAL_MS },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const item = (error as { Item?: Record<string, unknown> }).Item;
    if (item === undefined) return { claimed: false };
    return { claimed: false, pushedAt: storedNumber(item.pushed_at), sentAt: storedNumber(item.sent_at) };
  }
}

/**
 * Confirms, just before sending, that the claim made at `claimedAt` is still the latest, and
 * records the send time. The next claim waits a full interval after it, so deliveries are a
 * second apart however long each push took to read the devices. Answers false when a newer
 * claim took the slot (its read is newer than this push's: it carries this push's change)
 * or the connection is gone: nothing is to be sent then.
 */
export async function confirmPush(table: string, connectionId: string, claimedAt: number, now = Date.now()): Promise<boolean> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: connectionKey(connectionId),
        UpdateExpression: 'SET sent_at = :now',
        ConditionExpression: 'pushed_at = :claimedAt',
        ExpressionAttributeValues: { ':now': now, ':claimedAt': claimedAt },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
}

/** A number of an item from a refused condition: it comes back as DynamoDB wrote it ({"N": "..."}), as the document client leaves errors alone. */
function storedNumber(raw: unknown): number | undefined {
  const value = typeof raw === 'object' && raw !== null && 'N' in raw ? Number((raw as { N: string }).N) : raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
