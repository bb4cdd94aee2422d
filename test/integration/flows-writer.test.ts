import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { putAll } from '../../functions/shared/batch-writer.ts';
import { parseEnvelope } from '../../functions/shared/queue-envelope.ts';
import { packRecords, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { flowsConfig } from '../../functions/flows/config.ts';
import type { FlowRecord } from '../../functions/flows/flow-schema.ts';
import { flowDeltas, MAX_DELTA_ROWS } from '../../functions/flows/storage.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { foldHour, hourSums, pendingKeys } from '../helpers/flow-sums.ts';
import { sqsEvent, sqsRecord, direct } from '../helpers/sqs-events.ts';
import { deliverShortOfTime, expectStoredInPart, withRaceAfterMarkerRead } from '../helpers/queue-delivery.ts';

let runtime: LocalRuntime;
let writer: (event: SQSEvent) => Promise<SQSBatchResponse>;
let nextHour = 1000 + Math.floor(Math.random() * 1e6);

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  writer = direct((await import('../../functions/flows/writer.ts')).handler);
});
afterAll(async () => runtime?.stop());

function records(hour: number, count: number, pairs: number): FlowRecord[] {
  return Array.from({ length: count }, (_, i) => ({ src_app: `app-${i % pairs}`, dest_app: 'db', vpc_id: 'vpc-1', bytes_tx: i + 1, bytes_rx: 2 * (i + 1), hour }));
}

function message(rs: FlowRecord[]): PackedMessage {
  return packRecords('flows', rs)[0] as PackedMessage;
}

function sums(rs: FlowRecord[]): Map<string, { tx: number; rx: number }> {
  const out = new Map<string, { tx: number; rx: number }>();
  for (const r of rs) {
    const s = out.get(r.src_app) ?? { tx: 0, rx: 0 };
    out.set(r.src_app, { tx: s.tx + Number(r.bytes_tx), rx: s.rx + Number(r.bytes_rx) });
  }
  return out;
}

/** The hour's sums by src_app, as GET /flows reads them. */
async function stored(hour: number): Promise<Map<string, { tx: number; rx: number }>> {
  const out = new Map<string, { tx: number; rx: number }>();
  for (const item of (await hourSums(hour, 7)).values()) out.set(String(item.src_app), { tx: Number(item.bytes_tx), rx: Number(item.bytes_rx) });
  return out;
}

describe('flows writer and folder against DynamoDB Local', () => {
  it('keeps sums exact when a message is delivered twice in a batch and another in two batches, before and after the fold', async () => {
    const hour = nextHour++;
    const [a, b, c] = [records(hour, 50, 5), records(hour, 30, 7), records(hour, 10, 3)];
    const [ma, mb, mc] = [message(a), message(b), message(c)];
    expect((await writer(sqsEvent([sqsRecord(ma.body), sqsRecord(ma.body, 2), sqsRecord(mb.body)]))).batchItemFailures).toEqual([]);
    expect((await writer(sqsEvent([sqsRecord(mb.body, 2), sqsRecord(mc.body)]))).batchItemFailures).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b, ...c]));
    const fold = await foldHour(hour);
    expect(fold.folded).toBeGreaterThan(0);
    expect(await pendingKeys(hour)).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b, ...c]));
  });

  it('keeps sums exact when a crashed writer put some messages of a batch before the batch came back', async () => {
    const hour = nextHour++;
    const [a, b] = [records(hour, 20, 4), records(hour, 20, 6)];
    const [ma, mb] = [message(a), message(b)];
    // The crashed invocation got as far as putting message a's deltas.
    const config = flowsConfig();
    await putAll(config.flowsTable, flowDeltas(parseEnvelope(ma.body, 'flows'), a, config.shards));
    expect((await writer(sqsEvent([sqsRecord(ma.body, 2), sqsRecord(mb.body, 2)]))).batchItemFailures).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b]));
  });

  it('folds a message redelivered after its fold once: the copy it puts is neither read nor folded again', async () => {
    const hour = nextHour++;
    const [a, b] = [records(hour, 40, 8), records(hour, 12, 3)];
    const [ma, mb] = [message(a), message(b)];
    expect((await writer(sqsEvent([sqsRecord(ma.body)]))).batchItemFailures).toEqual([]);
    await foldHour(hour);
    // a comes back (its deletion from the queue was lost) with b, after a was folded.
    expect((await writer(sqsEvent([sqsRecord(ma.body, 2), sqsRecord(mb.body)]))).batchItemFailures).toEqual([]);
    expect((await pendingKeys(hour)).length).toBeGreaterThan(0);
    expect(await stored(hour)).toEqual(sums([...a, ...b]));
    const fold = await foldHour(hour);
    expect(fold.duplicates).toBeGreaterThan(0);
    expect(fold.folded).toBeGreaterThan(0);
    expect(await pendingKeys(hour)).toEqual([]);
    expect(await stored(hour)).toEqual(sums([...a, ...b]));
  });

  it('splits a message with more keys than a delta holds, and reads, pages and folds every part once', async () => {
    const hour = nextHour++;
    const many = records(hour, 900, 450);
    const m = message(many);
    const config = flowsConfig();
    const deltas = flowDeltas(parseEnvelope(m.body, 'flows'), many, config.shards);
    expect(deltas.length).toBeGreaterThan(config.shards);
    expect(Math.max(...deltas.map((d) => (JSON.parse(d.rows) as unknown[]).length))).toBeLessThanOrEqual(MAX_DELTA_ROWS);
    expect((await writer(sqsEvent([sqsRecord(m.body)]))).batchItemFailures).toEqual([]);
    expect((await writer(sqsEvent([sqsRecord(m.body, 2)]))).batchItemFailures).toEqual([]);
    expect((await stored(hour)).size).toBe(450);
    expect(await stored(hour)).toEqual(sums(many));
    await foldHour(hour);
    expect(await stored(hour)).toEqual(sums(many));
  });

  it('reads the same sums while a fold runs and after a partial fold', async () => {
    const hour = nextHour++;
    const batches = Array.from({ length: 12 }, (_, i) => records(hour, 60, 20 + i));
    for (const batch of batches) expect((await writer(sqsEvent([sqsRecord(message(batch).body)]))).batchItemFailures).toEqual([]);
    const expected = sums(batches.flat());
    const config = flowsConfig();
    const keys = await pendingKeys(hour);
    const { foldDeltas } = await import('../../functions/flows/fold.ts');
    await foldDeltas(keys.slice(0, Math.floor(keys.length / 2)), { flowsTable: config.flowsTable, markerTable: config.idempotencyTable });
    expect(await stored(hour)).toEqual(expected);
    // Reads one after another for as long as the fold runs: every one exact.
    let folding = true;
    const during: Map<string, { tx: number; rx: number }>[] = [];
    await Promise.all([
      foldHour(hour).finally(() => (folding = false)),
      (async () => {
        while (folding) during.push(await stored(hour));
      })(),
    ]);
    expect(during.length).toBeGreaterThan(0);
    for (const read of during) expect(read).toEqual(expected);
    expect(await stored(hour)).toEqual(expected);
  });

  it('counts a delta once when its fold commits after the read took its marker as absent and a redelivered copy is put again', async () => {
    const hour = nextHour++;
    const a = records(hour, 12, 4);
    const m = message(a);
    expect((await writer(sqsEvent([sqsRecord(m.body)]))).batchItemFailures).toEqual([]);
    expect((await pendingKeys(hour)).length).toBeGreaterThan(0);
    const markerTable = flowsConfig().idempotencyTable;
    // Right after the first read of fold markers (none yet), before the folded sums are read:
    // the hour is folded, then the message comes back and its deltas are put again under the same keys.
    const { result: read, raced } = await withRaceAfterMarkerRead(
      markerTable,
      async () => {
        expect((await foldHour(hour)).folded).toBeGreaterThan(0);
        expect((await writer(sqsEvent([sqsRecord(m.body, 2)]))).batchItemFailures).toEqual([]);
      },
      () => stored(hour),
    );
    expect(raced).toBe(true);
    expect((await pendingKeys(hour)).length).toBeGreaterThan(0);
    expect(read).toEqual(sums(a));
    expect(await stored(hour)).toEqual(sums(a));
  });

  it('stores what the time left covers, hands the rest back to the queue at once, and the sums come out exact', async () => {
    const hour = nextHour++;
    const config = flowsConfig();
    // 40 pairs a message: a delta in each of the hour's 4 shards.
    const batches = Array.from({ length: 12 }, (_, i) => records(hour, 40, 40 + i));
    const bodies = batches.map((batch) => message(batch).body);
    for (const body of bodies) expect(flowDeltas(parseEnvelope(body, 'flows'), batches[0] as FlowRecord[], config.shards)).toHaveLength(4);
    // 2 s kept back, and 60 ms more: at the 2 ms a delta is taken to cost before one is
    // measured (with the 1.2 margin), room for 25 deltas, six messages. Every DynamoDB
    // request is held 50 ms, so those take most of the 60 ms and the rest do not fit.
    const handler = (await import('../../functions/flows/writer.ts')).handler;
    const run = await deliverShortOfTime(runtime.resources.queues.get('FlowsQueue')?.url as string, bodies, handler, { remainingMs: 2_060, holdMs: 50 });
    expectStoredInPart(run, 12, 6);
    expect(await stored(hour)).toEqual(sums(batches.flat()));
  });
});
