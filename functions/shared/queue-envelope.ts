import { createHash, randomUUID } from 'node:crypto';
import { payloadTooLarge } from './errors.ts';
import { parseJson, stringifyJson } from './json.ts';
import type { Envelope } from './envelope-schema.ts';
import { validateEnvelope } from '../generated/envelope-validator.ts';
import { describeProblem, firstProblem } from './precompiled-validator.ts';

export type { Envelope } from './envelope-schema.ts';

/** A queue message's envelope, checked; a message of another kind is an error. */
export function parseEnvelope(body: string, kind: string): Envelope {
  const envelope = readEnvelope(body);
  if (envelope.kind !== kind) throw new Error(`message of kind "${envelope.kind}" on the ${kind} queue`);
  return envelope;
}

/** A queue message's envelope, of any kind, checked by the validator generated from envelopeSchema. */
export function readEnvelope(body: string): Envelope {
  const value = parseJson(body);
  if (!validateEnvelope(value)) throw new Error(`not a queue envelope: ${describeProblem(firstProblem(validateEnvelope))}`);
  return value;
}

/** When a message's records were received, read from its envelope without parsing it; undefined if it has none. */
export function receivedAtOf(body: string): number | undefined {
  const match = /"receivedAt":(\d+)/.exec(body.slice(0, 512));
  return match === null ? undefined : Number(match[1]);
}

/** SQS's classic 256 KiB message limit: every emulator and region accepts it. */
export const DEFAULT_MAX_MESSAGE_BYTES = 262_144;

export interface PackedMessage {
  ingestId: string;
  body: string;
  records: number;
}

// SQS refuses U+FFFE and U+FFFF in message bodies, and emulators refuse characters beyond
// the Basic Multilingual Plane (real SQS takes them): JSON carries all of them escaped.
const SQS_UNSAFE = /[\ufffe\uffff]|[\u{10000}-\u{10ffff}]/gu;
const escapeUnit = (unit: number) => `\\u${unit.toString(16).padStart(4, '0')}`;

export function serializeForQueue(value: unknown): string {
  return stringifyJson(value).replace(SQS_UNSAFE, (c) => [...Array(c.length).keys()].map((i) => escapeUnit(c.charCodeAt(i))).join(''));
}

/**
 * Packs records into as few envelopes as fit under maxBytes each, in order. Every
 * envelope gets its own ingest id; a record too large to fit alone is a 413 naming it.
 */
export function packRecords(
  kind: string,
  records: readonly unknown[],
  options: { maxBytes?: number; receivedAt?: number; newId?: () => string; idempotencyKey?: string; origin?: Envelope['origin'] } = {},
): PackedMessage[] {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const receivedAt = options.receivedAt ?? Date.now();
  const newId = options.newId ?? (options.idempotencyKey === undefined ? randomUUID : idsFromKey(kind, options.idempotencyKey));
  const messages: PackedMessage[] = [];
  let ingestId = newId();
  let prefix = envelopePrefix(kind, ingestId, receivedAt, options.origin);
  let parts: string[] = [];
  let size = Buffer.byteLength(prefix) + SUFFIX.length;

  const flush = () => {
    messages.push({ ingestId, body: `${prefix}${parts.join(',')}${SUFFIX}`, records: parts.length });
    ingestId = newId();
    prefix = envelopePrefix(kind, ingestId, receivedAt, options.origin);
    parts = [];
    size = Buffer.byteLength(prefix) + SUFFIX.length;
  };

  records.forEach((record, index) => {
    const json = serializeForQueue(record);
    const bytes = Buffer.byteLength(json);
    const separator = parts.length > 0 ? 1 : 0;
    if (size + separator + bytes > maxBytes) {
      if (parts.length === 0) {
        throw payloadTooLarge(`record ${index} is ${bytes} bytes serialized; one record may not exceed ${maxBytes - size} bytes`);
      }
      flush();
      if (size + bytes > maxBytes) {
        throw payloadTooLarge(`record ${index} is ${bytes} bytes serialized; one record may not exceed ${maxBytes - size} bytes`);
      }
    }
    size += (parts.length > 0 ? 1 : 0) + bytes;
    parts.push(json);
  });
  if (parts.length > 0) flush();
  return messages;
}

const SUFFIX = ']}';

/**
 * Ingest ids derived from a client's Idempotency-Key: a retried request packs into the
 * same messages under the same ids, so whatever an earlier attempt queued is stored once.
 */
function idsFromKey(kind: string, key: string): () => string {
  let index = 0;
  return () => createHash('sha256').update(`${kind}\u0000${key}\u0000${index++}`).digest('base64url').slice(0, 32);
}

function envelopePrefix(kind: string, ingestId: string, receivedAt: number, origin: Envelope['origin']): string {
  const marked = origin === undefined ? '' : `"origin":${JSON.stringify(origin)},`;
  return `{"v":1,"kind":${JSON.stringify(kind)},"ingestId":${JSON.stringify(ingestId)},"receivedAt":${receivedAt},${marked}"records":[`;
}
