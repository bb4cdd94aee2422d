import { createHash } from 'node:crypto';
import { logger } from './observability.ts';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './dynamodb-client.ts';
import { HttpError, serviceUnavailable } from './errors.ts';
import { type HttpEvent } from './http-response.ts';
import { idempotencyKey, mediaType } from './http-request.ts';

/** How long a key stays bound to its body (the IETF draft leaves expiry to the server). */
const KEY_LIFETIME_SECONDS = 24 * 3600;

export interface IdempotentRequest {
  /** What ingest ids derive from: the caller, its key, the body's fingerprint and the first attempt's arrival. */
  key: string;
  /** When the first attempt arrived: retries keep its timestamp, so they pack identically. */
  receivedAt: number;
}

/**
 * The Idempotency-Key of a request, as the IETF httpapi Idempotency-Key draft has it:
 * scoped to the caller's credential and bound to a fingerprint of the body. The first
 * request claims the key; a retry with the same body gets the first one's arrival time, and
 * so the same messages and ingest ids; the same key with another body is a 422. A request
 * is its first arrival as much as its key: once the record is gone (KEY_LIFETIME_SECONDS),
 * the key names a new request, stored anew, rather than one whose counts the writers'
 * markers would drop while its packets without a time of their own, stamped with the new
 * arrival, were listed twice. For the same reason a key that cannot be claimed (the table
 * throttled or down) is a 503 and nothing is queued: a retry could not be known as one.
 * Undefined when the client sent no key.
 */
export async function claimIdempotencyKey(event: HttpEvent, kind: string): Promise<IdempotentRequest | undefined> {
  const key = idempotencyKey(event);
  if (key === undefined) return undefined;
  const caller = (event.requestContext as { authorizer?: { lambda?: { keyId?: string } } }).authorizer?.lambda?.keyId ?? '';
  const fingerprint = createHash('sha256')
    .update(`${mediaType(event) ?? ''}\u0000`)
    .update(event.body === undefined ? '' : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8'))
    .digest('base64url');
  const scoped = createHash('sha256').update(`${kind}\u0000${caller}\u0000${key}`).digest('base64url');
  const now = event.requestContext.timeEpoch ?? Date.now();
  const id = `request#${scoped}`;
  let stored: Record<string, unknown> | undefined;
  try {
    stored = (await claimAnew(id, fingerprint, now)) ?? (await claimAgain(id, fingerprint, now));
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') {
      throw new HttpError(422, 'idempotency_key_reused', 'this Idempotency-Key was already used with a different request body; use a new key for a new request', [
        { field: 'Idempotency-Key', message: 'already used with a different body' },
      ]);
    }
    logger.warn('idempotency record unavailable; request refused', { reason: (error as Error).name });
    throw serviceUnavailable('the Idempotency-Key cannot be checked now; try again with the same key');
  }
  const receivedAt = Number(stored?.received_at ?? now);
  return { key: `${scoped}\u0000${fingerprint}\u0000${receivedAt}`, receivedAt };
}

/**
 * The key's record made for this request, when the key has none or only an expired one
 * (DynamoDB's TTL deletes an expired item within days, not at once): undefined when a live
 * record holds the key.
 */
async function claimAnew(id: string, fingerprint: string, now: number): Promise<Record<string, unknown> | undefined> {
  try {
    const result = await documentClient().send(
      new UpdateCommand({
        TableName: process.env.IDEMPOTENCY_TABLE,
        Key: { id },
        UpdateExpression: 'SET fingerprint = :fp, received_at = :now, expires_at = :exp',
        ConditionExpression: 'attribute_not_exists(id) OR expires_at < :nowSeconds',
        ExpressionAttributeValues: { ':fp': fingerprint, ':now': now, ':exp': Math.floor(now / 1000) + KEY_LIFETIME_SECONDS, ':nowSeconds': Math.floor(now / 1000) },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}

/** The live record of a key claimed before: the same body's (a retry), else a condition failure (422). */
async function claimAgain(id: string, fingerprint: string, now: number): Promise<Record<string, unknown> | undefined> {
  const result = await documentClient().send(
    new UpdateCommand({
      TableName: process.env.IDEMPOTENCY_TABLE,
      Key: { id },
      // if_not_exists: the record may have been deleted since claimAnew looked.
      UpdateExpression: 'SET fingerprint = if_not_exists(fingerprint, :fp), received_at = if_not_exists(received_at, :now), expires_at = if_not_exists(expires_at, :exp)',
      ConditionExpression: 'attribute_not_exists(id) OR fingerprint = :fp',
      ExpressionAttributeValues: { ':fp': fingerprint, ':now': now, ':exp': Math.floor(now / 1000) + KEY_LIFETIME_SECONDS },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return result.Attributes;
}

/** publishRecords' options for a validated request: its claimed key, and when it first arrived. */
export async function publishOptions(event: HttpEvent, kind: string): Promise<{ idempotencyKey?: string; receivedAt: number }> {
  const claim = await claimIdempotencyKey(event, kind);
  return { idempotencyKey: claim?.key, receivedAt: claim?.receivedAt ?? event.requestContext.timeEpoch ?? Date.now() };
}
