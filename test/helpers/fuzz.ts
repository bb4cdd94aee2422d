import { ReceiveMessageCommand, DeleteMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { PROTOCOLS } from '../../functions/packets/protocols.ts';
import { expect } from 'vitest';
import { TEST_API_KEY } from './runtime.ts';

/** Generated cases per property: small in `npm test`, 10,000 in `npm run test:faults`. */
export const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 150);

export interface FuzzTally {
  cases: number;
  accepted: number;
  rejected: Map<number, number>;
}

export function newTally(): FuzzTally {
  return { cases: 0, accepted: 0, rejected: new Map() };
}

/**
 * Posts a body and checks the contract for hostile input: never a 5xx, a 4xx names the
 * problem in the API's error shape, and a 202 says how many records it queued.
 */
export async function postAndCheck(url: string, body: string | Uint8Array, contentType: string, tally: FuzzTally): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': TEST_API_KEY }, body });
  const text = await response.text();
  tally.cases++;
  expect(response.status, text).toBeLessThan(500);
  if (response.status === 202) {
    const answer = JSON.parse(text) as { accepted: number };
    expect(Number.isInteger(answer.accepted)).toBe(true);
    tally.accepted += answer.accepted;
    return;
  }
  if (response.status === 204) {
    // https-notif accepts one notification per request, answering 204.
    tally.accepted += 1;
    return;
  }
  expect(response.status).toBeGreaterThanOrEqual(400);
  const error = (JSON.parse(text) as { error: { code: string; message: string } }).error;
  expect(error.message.length).toBeGreaterThan(0);
  tally.rejected.set(response.status, (tally.rejected.get(response.status) ?? 0) + 1);
}

/** Counts the records waiting in a queue (and empties it), to compare with what was accepted. */
export async function drainRecordCount(queueUrl: string): Promise<number> {
  const sqs = new SQSClient({});
  let records = 0;
  try {
    for (let empty = 0; empty < 2; ) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (Messages.length === 0) {
        empty++;
        continue;
      }
      for (const m of Messages) records += (JSON.parse(m.Body ?? '{}') as { records: unknown[] }).records.length;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
  } finally {
    sqs.destroy();
  }
  return records;
}

/** JSON-ish values that hostile clients send: prototype keys, deep nesting, huge strings and numbers. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue(),
  fc.constantFrom('__proto__', 'constructor', 'prototype').map((key) => JSON.parse(`{"${key}": {"polluted": true}}`)),
  fc.string({ minLength: 10_000, maxLength: 20_000 }),
  fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, 1.5, 2 ** 64),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
);

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Record<string, Record<string, unknown>>);

/** A real packet with one field, layer or the whole packet replaced by something hostile. */
export const mutatedPacket: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    sample: fc.integer({ min: 0, max: samples.length - 1 }),
    layer: fc.constantFrom(...PROTOCOLS, 'Info', 'Bogus'),
    field: fc.string({ maxLength: 20 }),
    value: hostileValue,
    mode: fc.constantFrom('field', 'layer', 'drop-field'),
  })
  .map(({ sample, layer, field, value, mode }) => {
    const packet = structuredClone(samples[sample]) as Record<string, Record<string, unknown>>;
    const target = packet[layer] ?? (packet[layer] = {});
    const key = mode === 'drop-field' ? (Object.keys(target)[0] ?? field) : field;
    if (mode === 'layer') (packet as Record<string, unknown>)[layer] = value;
    else if (mode === 'drop-field') delete target[key];
    else target[key] = value;
    return packet;
  });

/** A body as text: valid JSON of a hostile value, or garbage text. */
export const hostileText: fc.Arbitrary<string> = fc.oneof(
  hostileValue.map((v) => JSON.stringify(v) ?? 'null'),
  fc.string(),
  fc.string().map((s) => `{"${s}`),
);

/** Bytes that are not valid UTF-8. */
export const invalidUtf8: fc.Arbitrary<Uint8Array> = fc
  .uint8Array({ minLength: 1, maxLength: 200 })
  .map((bytes) => Uint8Array.from([...bytes, 0xc3, 0x28, 0xff]));
