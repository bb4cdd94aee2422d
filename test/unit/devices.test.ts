import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isDeviceMac, normalizeMac } from '../../functions/devices/mac.ts';
import { parseNetify } from '../../functions/devices/netify.ts';
import { parseInventory } from '../../functions/devices/inventory-schema.ts';
import { speedsBetween, type CounterReading } from '../../functions/devices/interfaces.ts';
import { MAX_TRANSACTION_DEVICES, packetDevices, packetEndpoints, packetSightings } from '../../functions/packets/device-sightings.ts';
import { netifyUpdates } from '../../functions/devices/updates.ts';
import type { CounterUpdate } from '../../functions/shared/exactly-once.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { rejection } from '../helpers/rejection.ts';
import {
  DEVICE_STATE_PREFIX,
  LEGACY_PROTOCOL_PREFIX,
  SNAPSHOT_PREFIX,
  applicationKey,
  foldedSightingsKey,
  interfaceKey,
  packetCountsKey,
  packetSightingKey,
  profileKey,
  snapshotKey,
} from '../../functions/devices/storage.ts';

describe('MAC addresses', () => {
  it.each([
    ['00:1B:44:11:3A:B7', '00:1b:44:11:3a:b7'],
    ['00-1b-44-11-3a-b7', '00:1b:44:11:3a:b7'],
    ['AA-BB-CC-DD-EE-FF', 'aa:bb:cc:dd:ee:ff'],
    ['aa:bb:cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff'],
  ])('%s -> %s', (input, mac) => expect(normalizeMac(input)).toBe(mac));

  it.each(['00:1B:44:11:5R:B8', '00:1b:44:11:3a', '00:1b:44:11:3a:b7:00', '001b44113ab7', '00:1b-44:11:3a:b7', '', '0:1b:44:11:3a:b7'])(
    '%j is not a MAC',
    (input) => expect(normalizeMac(input)).toBeUndefined(),
  );

  it('tells devices from broadcast, multicast and the zero address', () => {
    expect(isDeviceMac('00:15:5d:3c:5f:b2')).toBe(true);
    expect(isDeviceMac('ff:ff:ff:ff:ff:ff')).toBe(false);
    expect(isDeviceMac('01:00:5e:00:00:16')).toBe(false);
    expect(isDeviceMac('33:33:00:00:00:01')).toBe(false);
    expect(isDeviceMac('00:00:00:00:00:00')).toBe(false);
  });
});

describe('inventory records', () => {
  it('accepts the sample inventory and normalises MACs', () => {
    const records = parseInventory(JSON.parse(readFileSync('events/devices/inventory.json', 'utf8')));
    expect(records.map((r) => r.mac_address)).toEqual(['00:1b:44:11:3a:b7', '00:1b:44:11:5e:b8', '00:1b:44:11:3a:c0', '3c:91:80:2b:68:23']);
  });

  it.each([
    [{ mac_address: '00:1B:44:11:5R:B8' }, 'mac_address'],
    [{ ip_address: '172.16.101.300' }, 'ip_address'],
    [{ host_name: '' }, 'host_name'],
    [{ device_type: 7 }, 'device_type'],
  ])('rejects %j naming the field', (change, field) => {
    const record = { host_name: 'RT1', device_type: 'Router', operating_system: 'IOS', mac_address: '00:1b:44:11:3a:b7', ip_address: '10.0.0.1', ...change };
    const error = rejection(() => parseInventory([record]));
    expect(error.status).toBe(400);
    expect(error.details[0]).toMatchObject({ record: 0, field });
  });

  it('rejects what is not an array of records', () => {
    for (const body of [{}, null, [], 'x']) expect(rejection(() => parseInventory(body)).status).toBe(400);
  });
});

describe('Netify lines', () => {
  it('keeps flow, flow_stats and flow_purge, and counts what it skips', () => {
    const { records, skipped } = parseNetify(readFileSync('events/netify/agent.ndjson', 'utf8'));
    expect(records.map((r) => r.type)).toEqual(['flow', 'flow_stats', 'flow', 'flow', 'flow_purge', 'flow_stats']);
    expect(skipped).toBe(4); // two {"length": N} lines, an agent_status record and a blank line
    expect(records[3]).toMatchObject({ flow: { local_mac: '3c:91:80:2b:68:23' } });
  });

  it('names the line that is not JSON', () => {
    const error = rejection(() => parseNetify('{"length": 3}\n{"type":"flow"\n'));
    expect(error.status).toBe(400);
    expect(error.details[0]).toMatchObject({ line: 2 });
    expect(error.message).toMatch(/^line 2/);
  });

  it('names the line and field of a used record that lacks what we need', () => {
    const error = rejection(() => parseNetify('{"type":"flow","flow":{"digest":"d","local_mac":"nope"}}'));
    expect(error.details[0]).toMatchObject({ line: 1, field: 'flow.local_mac' });
  });

  it('refuses prototype keys', () => {
    expect(rejection(() => parseNetify('{"__proto__":{"x":1},"type":"flow"}')).status).toBe(400);
  });

  it('keeps 64-bit counters exact and refuses what exceeds them, naming line and field', () => {
    const max = '18446744073709551615';
    const { records } = parseNetify(`{"type":"flow_stats","flow":{"digest":"d","local_bytes":${max},"other_bytes":9007199254740993}}`);
    expect(records[0]).toMatchObject({ flow: { local_bytes: 2n ** 64n - 1n, other_bytes: 2n ** 53n + 1n } });
    const error = rejection(() => parseNetify(`{"type":"flow_stats","flow":{"digest":"d","local_bytes":18446744073709551616}}`));
    expect(error.details[0]).toMatchObject({ line: 1, field: 'flow.local_bytes' });
  });
});

/** Counters and the time they were last moved travel in one update of one item, so no reader sees one without the other. */
function countersCarryLastSeen(updates: readonly CounterUpdate[]): void {
  const counting = updates.filter((u) => Object.keys(u.add).length > 0);
  expect(counting.length).toBeGreaterThan(0);
  for (const update of counting) expect(update.setIfNewer, JSON.stringify(update.key)).toHaveProperty('last_seen');
}

describe('no partial state for readers', () => {
  it('Netify stats set last_seen in the update that adds their bytes and packets', () => {
    const { records } = parseNetify(readFileSync('events/netify/agent.ndjson', 'utf8'));
    countersCarryLastSeen(netifyUpdates('devices', records, '2025-05-01T00:00:00.000Z'));
  });

  it('a packet sighting carries its counts with last_seen in one item', () => {
    const packet = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Packet;
    for (const sighting of packetSightings('m1', [{ packet, timestamp: 1_746_000_000 }])) {
      expect(sighting).toMatchObject({ last_seen: '2025-04-30T08:00:00.000Z', 'packets#TCP': 1 });
    }
  });
});

describe('speeds from interface counters', () => {
  const base: CounterReading = { eventTime: '2025-03-17T19:43:27Z', discontinuityTime: '2025-03-17T19:00:00Z', inOctets: '1000', outOctets: '500' };
  const later = (seconds: number, inOctets: string, outOctets: string, discontinuityTime = base.discontinuityTime): CounterReading => ({
    eventTime: new Date(Date.parse(base.eventTime) + seconds * 1000).toISOString(),
    discontinuityTime,
    inOctets,
    outOctets,
  });

  it('is octets x 8 per second, out = upload, in = download', () => {
    expect(speedsBetween(base, later(60, String(1000 + 60 * 1_000_000), String(500 + 60 * 250_000)))).toEqual({
      upload_speed: 2_000_000,
      download_speed: 8_000_000,
    });
  });

  it('keeps 64-bit precision near the top of the counter', () => {
    const high = { ...base, inOctets: '18446744073709551000', outOctets: '18446744073709551000' };
    expect(speedsBetween(high, later(1, '18446744073709551615', '18446744073709551100'))).toEqual({ upload_speed: 800, download_speed: 4920 });
  });

  it('starts a new baseline on the first reading, a wrap or reset, a discontinuity, or no time passing', () => {
    expect(speedsBetween(undefined, base)).toBeUndefined();
    expect(speedsBetween(base, later(60, '10', '600'))).toBeUndefined();
    expect(speedsBetween(base, later(60, '2000', '600', '2025-03-17T19:30:00Z'))).toBeUndefined();
    expect(speedsBetween(base, later(0, '2000', '600'))).toBeUndefined();
    expect(speedsBetween(base, later(-5, '2000', '600'))).toBeUndefined();
  });
});

describe('devices seen in packets', () => {
  const sample = (file: string) => JSON.parse(readFileSync(`events/packets/${file}`, 'utf8')) as Packet;

  it('pairs link-layer MACs with network-layer addresses', () => {
    expect(packetEndpoints(sample('tcp-ipv4.json'))).toEqual([
      { mac: '00:15:5d:3c:5f:b2', ip: '172.27.112.1' },
      { mac: '00:15:5d:44:43:68', ip: '172.27.118.244' },
    ]);
  });

  it('sights each device once per message: counts per layer, first and last seen, the address seen last, whatever the order', () => {
    const tcp = sample('tcp-ipv4.json');
    const arp = sample('arp.json');
    const other = structuredClone(tcp);
    (other.IPv4 as { Source_Address: string }).Source_Address = '172.27.112.9';
    const packets = [
      { packet: tcp, timestamp: 1_746_000_000 },
      { packet: arp, timestamp: 1_746_000_010 },
      { packet: other, timestamp: 1_746_000_010 },
      { packet: tcp, timestamp: 1_745_999_990 },
    ];
    const sightings = packetSightings('ingest-1', packets);
    const sender = sightings.find((s) => s.mac_address === '00:15:5d:3c:5f:b2');
    expect(sender).toMatchObject({
      pk: 'dev#00:15:5d:3c:5f:b2',
      sk: 'pkts~ingest-1',
      first_seen: '2025-04-30T07:59:50.000Z',
      last_seen: '2025-04-30T08:00:10.000Z',
      // ARP's 172.27.118.244 and the TCP packet's 172.27.112.9 share the last time: the larger wins.
      ip_address: '172.27.118.244',
      ip_seen: '2025-04-30T08:00:10.000Z',
      'packets#TCP': 3,
      'packets#ARP': 1,
    });
    expect(sightings).toHaveLength(2);
    expect(packetSightings('ingest-1', [...packets].reverse())).toEqual(sightings);
  });

  it('counts the devices of a message naming few in its transaction, and sights those a crowded message shows in passing with puts, the same way on every delivery', () => {
    const tcp = sample('tcp-ipv4.json');
    const to = (mac: string) => {
      const p = structuredClone(tcp);
      (p.Packet_802_3 as { Destination_MAC: string }).Destination_MAC = mac;
      return { packet: p, timestamp: 1_746_000_000 };
    };
    const host = 'dev#00:15:5d:3c:5f:b2';
    // The sniffer's pattern, one packet per message: every device in the transaction.
    const one = packetDevices('devices', 'm0', [to('02:00:00:00:00:01')]);
    expect(one.sightings).toEqual([]);
    expect(one.updates.map((u) => u.key.pk)).toEqual([host, 'dev#02:00:00:00:00:01']);
    // More devices than MAX_TRANSACTION_DEVICES: the host (in every packet) and 02:..:02 (twice) stay; the rest are sighted.
    const peers = Array.from({ length: MAX_TRANSACTION_DEVICES }, (_, i) => `02:00:00:00:01:${String(i).padStart(2, '0')}`);
    const packets = [...peers.map(to), to('02:00:00:00:00:02'), to('02:00:00:00:00:02')];
    const { sightings, updates } = packetDevices('devices', 'm1', packets);
    expect(sightings.map((s) => s.mac_address)).toEqual(peers);
    expect(updates.map((u) => u.key)).toEqual([
      { pk: host, sk: 'pkts' },
      { pk: 'dev#02:00:00:00:00:02', sk: 'pkts' },
    ]);
    expect(updates[0]).toMatchObject({ shardAttribute: 'sk', add: { 'packets#TCP': 10, 'packets#IPv4': 10 }, setIfNewer: { last_seen: '2025-04-30T08:00:00.000Z' } });
    const again = packetDevices('devices', 'm1', [...packets].reverse());
    expect(new Set(again.sightings.map((s) => s.mac_address))).toEqual(new Set(peers));
    expect(again.updates.map((u) => u.key.pk).sort()).toEqual(updates.map((u) => u.key.pk).sort());
  });

  it('skips broadcast and multicast destinations and learns ARP senders', () => {
    expect(packetEndpoints(sample('arp.json'))).toEqual([{ mac: '00:15:5d:3c:5f:b2', ip: '172.27.118.244' }]);
    expect(packetEndpoints(sample('icmpv6-ipv6.json'))).toEqual([{ mac: '00:15:5d:3c:5f:b2', ip: 'fe80::215:5dff:fe3c:5fb2' }]);
  });
});

describe('the device partition', () => {
  const mac = '02:00:00:00:00:01';
  it('keeps a device\'s state under one prefix, apart from its applications, interfaces and snapshots', () => {
    // What a live push reads of a device: every item it builds the message from, none of its flows.
    const state = [profileKey(mac).sk, packetCountsKey(mac).sk, `${packetCountsKey(mac).sk}#3`, foldedSightingsKey(mac).sk, packetSightingKey(mac, 'ingest-1').sk, `${LEGACY_PROTOCOL_PREFIX}TCP`];
    const others = [applicationKey(mac, 'ab12').sk, interfaceKey(mac, 'eth0').sk, snapshotKey(mac, '2026-01-01T00:00:00Z').sk];
    expect(state.filter((sk) => !sk.startsWith(DEVICE_STATE_PREFIX))).toEqual([]);
    expect(others.filter((sk) => sk.startsWith(DEVICE_STATE_PREFIX))).toEqual([]);
    expect(state.every((sk) => sk < SNAPSHOT_PREFIX)).toBe(true);
  });
});
