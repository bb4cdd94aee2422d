import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { meteredUsage } from '../../functions/shared/usage-meter.ts';
import { getAll } from '../../functions/shared/batch-writer.ts';
import { allCounterKeys } from '../../functions/packets/storage.ts';
import { packetsConfig } from '../../functions/packets/config.ts';
import { eventually, startTestRuntime, TEST_API_KEY } from '../helpers/runtime.ts';

// The benchmark's cost per record tells the write path's reads from those of the client that
// polls the counts (bench/hot-items.ts): the meter counts read units by the function whose
// invocation read them, though every function runs in this one process.

let runtime: LocalRuntime;
const packet = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as object;

beforeAll(async () => {
  // Before any SDK client is made: metering is decided when the client is.
  process.env.NETINGEST_METER_USAGE = 'true';
  runtime = await startTestRuntime();
});
afterAll(async () => {
  await runtime?.stop();
  delete process.env.NETINGEST_METER_USAGE;
});

describe('the usage meter under the local runtime', () => {
  it('counts read units by the function that read them, and reads outside an invocation apart', async () => {
    const headers = { 'x-api-key': TEST_API_KEY };
    const before = structuredClone(meteredUsage);
    const posted = await fetch(`${runtime.url}/packets`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify([packet]) });
    expect(posted.status).toBe(202);
    await eventually(async () => {
      const counts = (await (await fetch(`${runtime.url}/packets/tables/all`, { headers })).json()) as Record<string, number>;
      return counts.TCP === 1 ? true : undefined;
    });
    const queryReads = (meteredUsage.readUnitsByFunction.packetsQuery ?? 0) - (before.readUnitsByFunction.packetsQuery ?? 0);
    expect(queryReads).toBeGreaterThan(0);
    const outside = meteredUsage.readUnitsByFunction[''] ?? 0;
    // The counts the query just read, read here: a read that finds no item is reported as no unit.
    await getAll(runtime.resources.tables.get('PacketCountsTable')?.name as string, allCounterKeys(packetsConfig().counterShards), true);
    expect(meteredUsage.readUnitsByFunction['']).toBeGreaterThan(outside);
    expect(meteredUsage.readUnitsByFunction.packetsQuery).toBe((before.readUnitsByFunction.packetsQuery ?? 0) + queryReads);
  });
});
