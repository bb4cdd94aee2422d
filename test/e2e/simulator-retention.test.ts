import type { ScheduledEvent } from 'aws-lambda';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';
import { lambdaContext } from '../helpers/sqs-events.ts';

const START = Date.parse('2026-02-01T08:00:00Z');
const HOUR = 3_600_000;
const TICKS = 4;
const at = (ms: number) => new Date(ms).toISOString().replace('.000', '');

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ params: { simulator: 'on' }, env: { SIM_SEED: 'retention', SIM_RETENTION_HOURS: '24', API_KEYS: 'test-key-all-scopes' } });
});
afterAll(async () => runtime?.stop());

type DeviceView = { mac_address: string; snap_shots: unknown[] };

/** Snapshot items of the simulated devices, with their TTL attribute. */
async function snapshotItems(macs: string[]): Promise<{ sk: string; expires_at?: number }[]> {
  const items: { sk: string; expires_at?: number }[] = [];
  for (const mac of macs) {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: process.env.DEVICES_TABLE,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :snap)',
        ExpressionAttributeValues: { ':pk': `dev#${mac}`, ':snap': 'snap#' },
      }),
    );
    items.push(...((page.Items ?? []) as { sk: string; expires_at?: number }[]));
  }
  return items;
}

describe("the simulator's retention", () => {
  it('marks only the snapshots older than SIM_RETENTION_HOURS to expire, and each once', { timeout: 180_000 }, async () => {
    const { handler: tick } = await import('../../functions/simulator/tick.ts');
    for (let n = 1; n <= TICKS; n++) await tick({ time: at(START + n * 60_000) } as ScheduledEvent, lambdaContext());
    const devices = await eventually(async () => {
      const { body } = await getJson(runtime.url, '/devices?limit=200&snapshots=100');
      const simulated = (body as DeviceView[]).filter((d) => d.mac_address.startsWith('02:5e:'));
      // The first notification is the baseline; each later one gives a snapshot.
      return simulated.length === 12 && simulated.every((d) => d.snap_shots.length === TICKS - 1) ? simulated : undefined;
    }, 60_000, 'every simulated device with its snapshots');
    const macs = devices.map((d) => d.mac_address);
    const snapshots = devices.reduce((sum, d) => sum + d.snap_shots.length, 0);

    const { handler: retention } = await import('../../functions/simulator/retention.ts');
    // The last tick is less than SIM_RETENTION_HOURS old: nothing is marked.
    expect(await retention({ time: at(START + 24 * HOUR) }, lambdaContext())).toEqual({ expired: 0 });
    expect((await snapshotItems(macs)).filter((i) => i.expires_at !== undefined)).toEqual([]);

    const later = START + 25 * HOUR;
    expect(await retention({ time: at(later) }, lambdaContext())).toEqual({ expired: snapshots });
    const items = await snapshotItems(macs);
    expect(items).toHaveLength(snapshots);
    expect(items.every((i) => i.expires_at === Math.floor(later / 1000))).toBe(true);

    // Marked snapshots are not read again.
    expect(await retention({ time: at(later + HOUR) }, lambdaContext())).toEqual({ expired: 0 });
  });
});
