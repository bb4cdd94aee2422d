import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
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
    // sent_for from the start: a push finding none knows the connection's last push is not in flight but from before sends were recorded.
    new PutCommand({ TableName: table, Item: { ...connectionKey(connectionId), connected_at: now, expires_at: Math.floor(now / 1000) + MAX_CONNECTION_SECONDS, sent_for: 0 } }),
  );
}

export async function removeConnection(table: string, connectionId: string): Promise<void> {
  await documentClient().send(new DeleteCommand({ TableName: table, Key: connectionKey(connectionId) }));
}

export async function listConnections(table: string): Promise<string[]> {
  return (await queryPartition(table, PARTITION, { attributes: ['sk'] })).map((item) => String(item.sk));
}

/** What is stored of a connection's pushes. */
export interface PushSlot {
  /** When the last push claimed the slot: a push claimed at or after a change reads it. */
  pushedAt?: number;
  /** When a push last recorded its send, and the claim that push made. */
  sentAt?: number;
  sentFor?: number;
}

/**
 * Claims the connection's next push slot: succeeds when it was never pushed to or not
 * claimed within the last PUSH_INTERVAL_MS, and answers what the slot held before (whose
 * send this push's delivery must follow by a second: see the broadcaster). Otherwise answers
 * when it was last claimed, so that the caller can wait for the slot or leave the push to
 * whoever claimed it (or nothing when the connection has been removed meanwhile).
 */
export async function claimPush(
  table: string,
  connectionId: string,
  now = Date.now(),
): Promise<{ claimed: true; previous: PushSlot } | { claimed: false; pushedAt?: number }> {
  try {
    const { Attributes } = await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: connectionKey(connectionId),
        UpdateExpression: 'SET pushed_at = :now',
        ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(pushed_at) OR pushed_at <= :cutoff)',
        ExpressionAttributeValues: { ':now': now, ':cutoff': now - PUSH_INTERVAL_MS },
        ReturnValues: 'ALL_OLD',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { claimed: true, previous: slotOf(Attributes ?? {}) };
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const item = (error as { Item?: Record<string, unknown> }).Item;
    return item === undefined ? { claimed: false } : { claimed: false, pushedAt: slotOf(item).pushedAt };
  }
}

/** Records when the push claimed at `claimedAt` sent, unless a push claimed later recorded first; never brings back a removed connection. */
export async function recordPush(table: string, connectionId: string, claimedAt: number, now = Date.now()): Promise<void> {
  try {
    await documentClient().send(
      new UpdateCommand({
        TableName: table,
        Key: connectionKey(connectionId),
        UpdateExpression: 'SET sent_at = :now, sent_for = :claimedAt',
        ConditionExpression: 'attribute_exists(sk) AND (attribute_not_exists(sent_for) OR sent_for < :claimedAt)',
        ExpressionAttributeValues: { ':now': now, ':claimedAt': claimedAt },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

/** The connection's slot as stored now. */
export async function readPushSlot(table: string, connectionId: string): Promise<PushSlot> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: table, Key: connectionKey(connectionId), ConsistentRead: true }));
  return slotOf(Item ?? {});
}

/** A connection's slot from its item, as the document client gives it or as a refused condition does. */
function slotOf(item: Record<string, unknown>): PushSlot {
  return { pushedAt: storedNumber(item.pushed_at), sentAt: storedNumber(item.sent_at), sentFor: storedNumber(item.sent_for) };
}

/** A number of an item, or from a refused condition as DynamoDB wrote it ({"N": "..."}): the document client leaves errors alone. */
function storedNumber(raw: unknown): number | undefined {
  const value = typeof raw === 'object' && raw !== null && 'N' in raw ? Number((raw as { N: string }).N) : raw === undefined ? Number.NaN : Number(raw);
  return Number.isFinite(value) ? value : undefined;
}
