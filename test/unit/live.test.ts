import { describe, expect, it } from 'vitest';
import type { DeviceView } from '../../functions/devices/view.ts';
import { MAX_MESSAGE_BYTES, deviceId, fitMessage, liveDevices, seedTimestamp, toMbps } from '../../functions/live/message.ts';
import { issueToken, verifyToken } from '../../functions/live/token.ts';

const view = (mac: string, snapshots: DeviceView['snap_shots'], lastSeen: string | null): DeviceView => ({
  mac_address: mac,
  ip_address: '10.0.0.1',
  host_name: 'h',
  device_type: 'PC',
  operating_system: 'Linux',
  simulated: false,
  first_seen: lastSeen,
  last_seen: lastSeen,
  snap_shots: snapshots,
  applications: [],
  applications_total: 0,
  interfaces: [],
  interfaces_total: 0,
  protocols: {},
});

describe('live connect tokens', () => {
  it('are read-scoped, signed and good for five minutes', () => {
    const now = Date.UTC(2025, 0, 1);
    const { token, expiresAt } = issueToken('s3cret', now);
    expect(expiresAt.getTime() - now).toBe(300_000);
    expect(verifyToken('s3cret', token, now + 299_000)).toEqual({ valid: true, expiresAt });
    expect(verifyToken('s3cret', token, now + 300_000)).toMatchObject({ valid: false, reason: 'the token has expired' });
    expect(verifyToken('other', token, now)).toMatchObject({ valid: false, reason: 'bad token signature' });
    expect(verifyToken('s3cret', undefined, now)).toMatchObject({ valid: false });
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ scope: 'ingest', exp: 9e9 })).toString('base64url');
    expect(verifyToken('s3cret', `${forged}.${signature}`, now)).toMatchObject({ valid: false, reason: 'bad token signature' });
    expect(verifyToken('s3cret', `${payload}.${signature}.x`, now)).toMatchObject({ valid: false, reason: 'malformed token' });
  });
});

describe("seed 004's message", () => {
  it('writes times as Python did and speeds in whole Mbps', () => {
    expect(seedTimestamp('2025-03-17T19:43:27.952507Z')).toBe('2025-03-17 19:43:27.952507');
    expect(seedTimestamp('2025-03-17T19:43:27Z')).toBe('2025-03-17 19:43:27.000000');
    expect(seedTimestamp('2025-03-17T21:43:27.5+02:00')).toBe('2025-03-17 19:43:27.500000');
    expect(toMbps(100_000_000)).toBe(100);
    expect(toMbps(1_499_999)).toBe(1);
    expect(deviceId('00:1b:44:11:3a:b7')).toBe(0x001b44113ab7);
  });

  it('gives every device a snapshot, oldest first, numbered through the message', () => {
    const now = Date.parse('2025-01-01T00:10:00Z');
    const devices = liveDevices(
      [
        view('00:00:00:00:00:01', [
          { time_stamp: '2025-01-01T00:00:00Z', upload_speed: 8_000_000, download_speed: 70_000_000, active_connection: true },
          { time_stamp: '2025-01-01T00:01:00Z', upload_speed: 0, download_speed: 0, active_connection: false },
        ], '2025-01-01T00:01:00Z'),
        view('00:00:00:00:00:02', [], '2025-01-01T00:09:00Z'),
        view('00:00:00:00:00:03', [], '2025-01-01T00:00:00Z'),
      ],
      now,
    );
    expect(devices.map((d) => d.snap_shots.map((s) => s.id))).toEqual([[1, 2], [3], [4]]);
    expect(devices[0]?.snap_shots[0]).toMatchObject({ upload_speed: 8, download_speed: 70, active_connection: true, time_stamp: '2025-01-01 00:00:00.000000' });
    expect(devices[1]?.snap_shots).toEqual([{ id: 3, time_stamp: '2025-01-01 00:09:00.000000', upload_speed: 0, download_speed: 0, active_connection: true }]);
    expect(devices[2]?.snap_shots[0]?.active_connection).toBe(false);
  });

  it('keeps fewer snapshots per device when the message would pass 128 KB', () => {
    const snapshots = Array.from({ length: 60 }, (_, i) => ({ time_stamp: `2025-01-01T00:${String(i).padStart(2, '0')}:00Z`, upload_speed: 1e6, download_speed: 2e6, active_connection: true }));
    const views = Array.from({ length: 40 }, (_, i) => view(`00:00:00:00:01:${i.toString(16).padStart(2, '0')}`, snapshots, '2025-01-01T00:59:00Z'));
    const text = fitMessage(liveDevices(views));
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const parsed = JSON.parse(text) as { snap_shots: { time_stamp: string }[] }[];
    expect(parsed).toHaveLength(40);
    expect(parsed[0]?.snap_shots.at(-1)?.time_stamp).toBe('2025-01-01 00:59:00.000000');
  });

  it('leaves out the devices seen longest ago when one snapshot each would pass 128 KB', () => {
    // 2,000 devices (a busy LAN seen by a sniffer), one snapshot each: about 500 KB.
    const views = Array.from({ length: 2_000 }, (_, i) => {
      const seen = new Date(Date.UTC(2025, 0, 1) + ((i * 7919) % 2_000) * 1000).toISOString();
      return view(`00:00:00:00:${(i >> 8).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`, [{ time_stamp: seen, upload_speed: 1e6, download_speed: 2e6, active_connection: true }], seen);
    });
    const all = liveDevices(views);
    const text = fitMessage(all);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    const parsed = JSON.parse(text) as { mac_address: string; snap_shots: { time_stamp: string }[] }[];
    expect(parsed.length).toBeGreaterThan(300);
    expect(parsed.length).toBeLessThan(2_000);
    // Still in MAC order, and every device left out was seen before every device kept.
    const macs = parsed.map((d) => d.mac_address);
    expect(macs).toEqual([...macs].sort());
    const kept = new Set(macs);
    const oldestKept = parsed.map((d) => d.snap_shots[0]?.time_stamp ?? '').sort()[0] ?? '';
    for (const d of all) if (!kept.has(d.mac_address)) expect((d.snap_shots[0]?.time_stamp ?? '') < oldestKept).toBe(true);
    // One more device would not have fitted.
    const next = all.filter((d) => !kept.has(d.mac_address)).sort((a, b) => ((a.snap_shots[0]?.time_stamp ?? '') > (b.snap_shots[0]?.time_stamp ?? '') ? -1 : 1))[0];
    expect(Buffer.byteLength(text) + 1 + Buffer.byteLength(JSON.stringify(next))).toBeGreaterThan(MAX_MESSAGE_BYTES);
  });
});
