import { AsyncLocalStorage } from 'node:async_hooks';
import { QueryCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { recordInterfaceReadings, speedsBetween, type InterfaceReading } from '../../functions/devices/interfaces.ts';
import { NO_SPEEDS, devicePartition, interfaceKey } from '../../functions/devices/storage.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { queriesDuring, withStoreMiddleware } from '../helpers/queue-delivery.ts';
import type { ClientMiddleware } from '../../functions/shared/usage-meter.ts';

const RUNS = Number(process.env.READING_RUNS ?? 12);
let runtime: LocalRuntime;
let table: string;
let nextDevice = 1;

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  table = runtime.resources.tables.get('DevicesTable')?.name as string;
});
afterAll(async () => runtime?.stop());

function reading(mac: string, second: number, inOctets: bigint, outOctets: bigint, epoch: string): InterfaceReading {
  const eventTime = new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
  return { mac, name: 'eth0', eventTime, discontinuityTime: epoch, inOctets: String(inOctets), outOctets: String(outOctets), operStatus: 'up', statistics: { 'in-octets': String(inOctets) } };
}

async function snapshots(mac: string): Promise<Record<string, { upload_speed: number; download_speed: number }>> {
  const page = await documentClient().send(
    new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :s)', ExpressionAttributeValues: { ':pk': devicePartition(mac), ':s': 'snap#' }, ConsistentRead: true }),
  );
  // Items marked as holding no speeds are what a reset leaves; views skip them, and so does this.
  const shown = (page.Items ?? []).filter((i) => i[NO_SPEEDS] === undefined);
  return Object.fromEntries(shown.map((i) => [String(i.time_stamp), { upload_speed: Number(i.upload_speed), download_speed: Number(i.download_speed) }]));
}

describe('interface readings against DynamoDB Local', () => {
  it('gives the same snapshots and latest statistics whatever the batches, their order and their redeliveries', async () => {
    const series = fc
      .array(fc.record({ second: fc.integer({ min: 0, max: 3_000 }), step: fc.bigInt({ min: -5n, max: 10_000n }), reset: fc.boolean() }), { minLength: 1, maxLength: 14 })
      .map((points) => [...new Map(points.map((p) => [p.second, p])).values()].sort((a, b) => a.second - b.second));
    await fc.assert(
      fc.asyncProperty(series, fc.integer({ min: 1, max: 5 }), fc.infiniteStream(fc.nat()), async (points, batches, random) => {
        const mac = `02:aa:00:00:${String(Math.floor(nextDevice / 256) % 256).padStart(2, '0')}:${(nextDevice++ % 256).toString(16).padStart(2, '0')}`;
        let octets = 1_000n;
        let epoch = 'e0';
        const readings = points.map((p) => {
          if (p.reset) epoch = `e${p.second}`;
          octets += p.step;
          return reading(mac, p.second, octets, octets * 2n, epoch);
        });
        // In time order, the snapshot at each reading is the speed from the one before it.
        const expected: Record<string, { upload_speed: number; download_speed: number }> = {};
        readings.forEach((r, i) => {
          const speeds = speedsBetween(readings[i - 1], r);
          if (speeds !== undefined) expected[r.eventTime] = speeds;
        });
        // Any order, in any number of batches, some delivered twice.
        const shuffled = [...readings].sort(() => (random.next().value % 3) - 1);
        const groups: InterfaceReading[][] = Array.from({ length: batches }, () => []);
        shuffled.forEach((r, i) => groups[i % batches]?.push(r));
        if (random.next().value % 2 === 0) groups.push(groups[0] ?? []);
        for (const group of groups) await recordInterfaceReadings(table, group);
        expect(await snapshots(mac)).toEqual(expected);
        const latest = await documentClient().send(new GetCommand({ TableName: table, Key: interfaceKey(mac, 'eth0'), ConsistentRead: true }));
        expect(latest.Item?.eventTime).toBe(readings.at(-1)?.eventTime);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads nothing for a reading that follows the latest, once the interface keeps one', async () => {
    const mac = '02:aa:00:02:00:01';
    const recent = (second: number, octets: bigint) => ({ ...reading(mac, 0, octets, octets * 2n, 'e0'), eventTime: new Date(Date.now() - 60_000 + second * 1000).toISOString() });
    const readings = [recent(0, 1_000n), recent(10, 2_000n), recent(20, 2_500n), recent(30, 9_000n)];
    const queries: number[] = [];
    for (const r of readings) queries.push(await queriesDuring(() => recordInterfaceReadings(table, [r])));
    // The first has no latest to follow: it reads the one before it (none).
    expect(queries).toEqual([1, 0, 0, 0]);
    const expected = Object.fromEntries(readings.slice(1).map((r, i) => [r.eventTime, speedsBetween(readings[i], r)]));
    expect(await snapshots(mac)).toEqual(expected);
  });

  it('corrects a speed taken from the latest replaced when a reading between them was put but not yet the latest', async () => {
    // X puts B and is held before B can become the latest; Y takes C, which replaces A as the
    // latest, and writes C's snapshot from A without a read. X, released, finds B is not the
    // latest, reads the reading after it and writes C's snapshot from B, the nearer.
    const mac = '02:aa:00:02:00:02';
    const at = (second: number, octets: bigint) => ({ ...reading(mac, 0, octets, octets * 2n, 'e0'), eventTime: new Date(Date.now() - 60_000 + second * 1000).toISOString() });
    const [a, b, c] = [at(0, 1_000n), at(10, 2_000n), at(20, 5_000n)];
    const x = holdWriter((_input, command) => command === 'UpdateItemCommand');
    await withStoreMiddleware('holdAdvance', x.middleware, async () => {
      try {
        await recordInterfaceReadings(table, [a]);
        const written = x.run(() => recordInterfaceReadings(table, [b]));
        await x.held;
        expect(await queriesDuring(() => recordInterfaceReadings(table, [c]))).toBe(0);
        expect(await snapshots(mac)).toEqual({ [c.eventTime]: speedsBetween(a, c) });
        x.release();
        await written;
      } finally {
        x.release();
      }
    });
    expect(await snapshots(mac)).toEqual({ [b.eventTime]: speedsBetween(a, b), [c.eventTime]: speedsBetween(b, c) });
  });

  it('keeps the speed from the nearest reading when a writer that read an older neighbour writes last', async () => {
    // Two writers of one interface at once, as two batches of one router's notifications
    // can be under a backlog: X takes C and reads A before it; Y takes B, between them, and
    // writes C's snapshot from B; then X, held until now, writes C's snapshot from A.
    const mac = '02:aa:00:01:00:01';
    const [a, b, c] = [reading(mac, 0, 1_000n, 2_000n, 'e0'), reading(mac, 10, 2_000n, 4_000n, 'e0'), reading(mac, 20, 5_000n, 10_000n, 'e0')];
    const x = holdWriter((input) => writesSnapshot(input));
    await withStoreMiddleware('holdStaleSnapshot', x.middleware, async () => {
      try {
        await recordInterfaceReadings(table, [a]);
        const written = x.run(() => recordInterfaceReadings(table, [c]));
        await x.held;
        await recordInterfaceReadings(table, [b]);
        x.release();
        await written;
      } finally {
        x.release();
      }
    });
    expect(await snapshots(mac)).toEqual({ [b.eventTime]: speedsBetween(a, b), [c.eventTime]: speedsBetween(b, c) });
  });
});

/**
 * Writer X of a race: work run through `run` is held at its first request that `holds`
 * picks (by input and command name), until release(); `held` settles when it gets there.
 */
function holdWriter(holds: (input: unknown, command: string | undefined) => boolean) {
  const writer = new AsyncLocalStorage<true>();
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let arrived = () => {};
  const held = new Promise<void>((resolve) => (arrived = resolve));
  const middleware: ClientMiddleware = (next, context) => async (args) => {
    if (writer.getStore() === true && holds(args.input, context.commandName)) {
      arrived();
      await gate;
    }
    return next(args);
  };
  return { middleware, held, release: () => release(), run: <T>(work: () => Promise<T>) => writer.run(true, work) };
}

/** Whether a request puts or deletes a snapshot (`snap#` sort key), in any of the shapes the SDK passes through. */
function writesSnapshot(input: unknown): boolean {
  const sortKeys: unknown[] = [];
  const request = input as { Item?: { sk?: unknown }; Key?: { sk?: unknown }; RequestItems?: Record<string, { PutRequest?: { Item?: { sk?: unknown } }; DeleteRequest?: { Key?: { sk?: unknown } } }[]> };
  sortKeys.push(request.Item?.sk, request.Key?.sk);
  for (const writes of Object.values(request.RequestItems ?? {})) for (const w of writes) sortKeys.push(w.PutRequest?.Item?.sk, w.DeleteRequest?.Key?.sk);
  return sortKeys.some((sk) => {
    const text = typeof sk === 'string' ? sk : (sk as { S?: unknown } | undefined)?.S;
    return typeof text === 'string' && text.startsWith('snap#');
  });
}
