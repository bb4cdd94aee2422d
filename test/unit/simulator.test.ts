import { describe, expect, it } from 'vitest';
import { emissions } from '../../functions/simulator/emissions.ts';
import { advance, initialNetwork, type NetworkState } from '../../functions/simulator/network.ts';
import { parsePackets } from '../../functions/packets/packet-schema.ts';
import { parseFlowRecords } from '../../functions/flows/flow-schema.ts';
import { parseNetify } from '../../functions/devices/netify.ts';
import { parseInventory } from '../../functions/devices/inventory-schema.ts';
import { decodeNotification } from '../../functions/notifications/decode.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';

const START = Date.parse('2026-01-01T00:00:00Z');
const minute = (n: number) => new Date(START + n * 60_000).toISOString();

function run(seed: string, steps: number): NetworkState[] {
  const states: NetworkState[] = [];
  let state = initialNetwork(seed, 12, minute(0));
  for (let i = 1; i <= steps; i++) states.push((state = advance(state, minute(i))));
  return states;
}

describe('the simulated network', () => {
  it('is the same run for the same seed, and another for another seed', () => {
    expect(run('42', 30)).toEqual(run('42', 30));
    expect(run('43', 30).at(-1)?.devices).not.toEqual(run('42', 30).at(-1)?.devices);
  });

  it('has a dozen devices of mixed types with unicast, locally administered MACs', () => {
    const [first] = run('42', 1);
    expect(first?.devices).toHaveLength(12);
    expect(new Set(first?.devices.map((d) => d.device_type)).size).toBe(12);
    for (const d of first?.devices ?? []) expect(d.mac_address).toMatch(/^02:5e(:[0-9a-f]{2}){4}$/);
  });

  it('draws speeds within the seed dynamics and grows counters by them', () => {
    const states = run('7', 200);
    let flips = 0;
    let deviceSteps = 0;
    for (let i = 1; i < states.length; i++) {
      const [before, after] = [states[i - 1] as NetworkState, states[i] as NetworkState];
      after.devices.forEach((d, j) => {
        const prev = before.devices[j];
        deviceSteps++;
        if (prev?.active_connection !== d.active_connection) flips++;
        if (d.active_connection) {
          expect(d.upload_mbps).toBeGreaterThanOrEqual(0);
          expect(d.upload_mbps).toBeLessThanOrEqual(12);
          expect(d.download_mbps).toBeLessThanOrEqual(70);
        } else {
          expect([d.upload_mbps, d.download_mbps]).toEqual([0, 0]);
        }
        expect(BigInt(d.in_octets) - BigInt(prev?.in_octets ?? '0')).toBe(BigInt((d.download_mbps * 1_000_000 * 60) / 8));
        expect(BigInt(d.out_octets) - BigInt(prev?.out_octets ?? '0')).toBe(BigInt((d.upload_mbps * 1_000_000 * 60) / 8));
      });
    }
    // A flip has probability 1/5 per device and step.
    expect(flips / deviceSteps).toBeGreaterThan(0.16);
    expect(flips / deviceSteps).toBeLessThan(0.24);
  });

  it('emits what passes the same validation as real clients', () => {
    for (const state of run('42', 5)) {
      const e = emissions(state);
      expect(e.notifications).toHaveLength(12);
      for (const text of e.notifications) expect(normalizeNotification(decodeNotification(text, 'json'), 'json').interfaces).toHaveLength(1);
      if (e.packets.length > 0) expect(parsePackets(e.packets)).toHaveLength(e.packets.length);
      if (e.flows.length > 0) expect(parseFlowRecords(e.flows)).toHaveLength(e.flows.length);
      expect(parseInventory(e.inventory)).toHaveLength(12);
      if (e.netify !== '') expect(parseNetify(e.netify).records.length).toBe(2 * e.flows.length);
    }
  });
});
