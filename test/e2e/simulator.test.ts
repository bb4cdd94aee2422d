import type { ScheduledEvent } from 'aws-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';
import { lambdaContext } from '../helpers/sqs-events.ts';

const START = Date.parse('2026-02-01T08:00:00Z');
const tick = (n: number) => ({ time: new Date(START + n * 60_000).toISOString().replace('.000', '') }) as ScheduledEvent;

async function drained(runtime: LocalRuntime): Promise<void> {
  const sqs = new SQSClient({});
  try {
    await eventually(async () => {
      for (const queue of ['PacketsQueue', 'FlowsQueue', 'NotificationsQueue', 'DevicesQueue']) {
        const { Attributes } = await sqs.send(
          new GetQueueAttributesCommand({
            QueueUrl: runtime.resources.queues.get(queue)?.url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        if (Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible) > 0) return undefined;
      }
      return true;
    }, 60_000, 'every queue to drain');
  } finally {
    sqs.destroy();
  }
}

/** Runs N ticks of the simulator through a fresh stage and returns the device views. */
async function simulate(steps: number): Promise<unknown[]> {
  const runtime = await startTestRuntime({ params: { simulator: 'on' }, env: { SIM_SEED: 'fixed-seed', API_KEYS: 'test-key-all-scopes' } });
  try {
    const { handler } = await import('../../functions/simulator/tick.ts');
    for (let n = 1; n <= steps; n++) {
      const result = await handler(tick(n), lambdaContext());
      expect(result?.step).toBe(n);
      // The same tick again (EventBridge may deliver twice) changes nothing.
      expect(await handler(tick(n), lambdaContext())).toBeUndefined();
    }
    await drained(runtime);
    const { body } = await getJson(runtime.url, '/devices?limit=200&snapshots=100');
    return body;
  } finally {
    await runtime.stop();
  }
}

describe('the network simulator', () => {
  it('gives identical device views when run twice with the same seed', { timeout: 180_000 }, async () => {
    const first = await simulate(4);
    const second = await simulate(4);
    expect(first.length).toBeGreaterThanOrEqual(12);
    expect(second).toEqual(first);
    const simulated = (first as { mac_address: string; snap_shots: unknown[]; applications: unknown[]; host_name: string | null }[]).filter((d) => d.mac_address.startsWith('02:5e:'));
    expect(simulated).toHaveLength(12);
    // Nothing but the simulator sent to this stage: every device it shows is marked as simulated.
    expect((first as { mac_address: string; simulated: unknown }[]).filter((d) => d.simulated !== true).map((d) => d.mac_address)).toEqual([]);
    for (const device of simulated) {
      expect(device.host_name).not.toBeNull();
      // The first notification is the baseline; each later one gives a snapshot.
      expect(device.snap_shots).toHaveLength(3);
    }
  });

  it('runs on the local schedule: a dozen devices with growing snapshot series', { timeout: 180_000 }, async () => {
    const runtime = await startTestRuntime({ params: { simulator: 'on' }, env: { SIM_SEED: 'scheduled', API_KEYS: 'test-key-all-scopes' }, clockSpeed: 300, schedules: true });
    try {
      const series = async () => {
        const { body } = await getJson(runtime.url, '/devices?limit=200');
        return (body as { mac_address: string; snap_shots: unknown[] }[]).filter((d) => d.mac_address.startsWith('02:5e:'));
      };
      const early = await eventually(async () => {
        const devices = await series();
        return devices.length === 12 && devices.every((d) => d.snap_shots.length >= 1) ? devices : undefined;
      }, 60_000, 'twelve simulated devices with a snapshot');
      const later = await eventually(async () => {
        const devices = await series();
        return devices.every((d, i) => d.snap_shots.length > (early[i]?.snap_shots.length ?? 0)) ? devices : undefined;
      }, 60_000, 'the snapshot series to grow');
      expect(later).toHaveLength(12);
    } finally {
      await runtime.stop();
    }
  });
});
