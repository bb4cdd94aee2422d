import { QueryCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { recordInterfaceReadings, speedsBetween, type InterfaceReading } from '../../functions/devices/interfaces.ts';
import { devicePartition, interfaceKey } from '../../functions/devices/storage.ts';
import { startTestRuntime } from '../helpers/runtime.ts';

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
  return Object.fromEntries((page.Items ?? []).map((i) => [String(i.time_stamp), { upload_speed: Number(i.upload_speed), download_speed: Number(i.download_speed) }]));
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
});
