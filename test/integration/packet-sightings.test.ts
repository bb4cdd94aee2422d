import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { putAll } from '../../functions/shared/batch-writer.ts';
import { queryPartition } from '../../functions/shared/partition-query.ts';
import { packRecords, parseEnvelope, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { devicesConfig } from '../../functions/devices/config.ts';
import { readDevice, readDevices } from '../../functions/devices/read-store.ts';
import { foldSightings, type SightingsFoldResult } from '../../functions/devices/sightings-fold.ts';
import { PACKET_SIGHTING_PREFIX, devicePartition } from '../../functions/devices/storage.ts';
import { buildDeviceView, type DeviceView } from '../../functions/devices/view.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { MAX_TRANSACTION_DEVICES, packetSightings } from '../../functions/packets/device-sightings.ts';
import { startTestRuntime } from '../helpers/runtime.ts';
import { direct, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';
import { withRaceAfterMarkerRead } from '../helpers/queue-delivery.ts';

// Packets sight devices with a put per device and message; the folder later moves a
// device's sightings into its folded shard. Device views must be exact at every point:
// pending, folded, partly folded, while a fold runs, and after a message comes back.

let runtime: LocalRuntime;
let writer: (event: SQSEvent) => Promise<SQSBatchResponse>;
const tcp = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Packet;
const udp = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8')) as Packet;
let nextDevice = Math.floor(Math.random() * 0xffff);

beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
  writer = direct((await import('../../functions/packets/writer.ts')).handler);
});
afterAll(async () => runtime?.stop());

/** A locally administered MAC no other test uses. */
function newMac(): string {
  const n = nextDevice++;
  return `02:5a:${((n >> 16) & 0xff).toString(16).padStart(2, '0')}:${((n >> 8) & 0xff).toString(16).padStart(2, '0')}:${(n & 0xff).toString(16).padStart(2, '0')}:01`;
}

/** A packet from `source` to `destination` at `seconds`, of the sample's kind, from `ip`. */
function packet(sample: Packet, source: string, destination: string, seconds: number, ip: string): Packet {
  const p = structuredClone(sample) as Record<string, Record<string, unknown>>;
  p.Packet_802_3 = { ...p.Packet_802_3, Source_MAC: source, Destination_MAC: destination };
  p.IPv4 = { ...p.IPv4, Source_Address: ip };
  p.Info = { Sniffed_Timestamp: seconds };
  return p as unknown as Packet;
}

/**
 * A message of these packets among a crowd: four more packets between eight devices of their
 * own, so that the message names more devices than MAX_TRANSACTION_DEVICES and those it shows
 * in passing are sighted with puts.
 */
function message(packets: Packet[]): PackedMessage {
  const crowd = Array.from({ length: MAX_TRANSACTION_DEVICES / 2 }, (_, i) => packet(tcp, newMac(), newMac(), 1_700_000_000 + i, '10.9.9.9'));
  return packRecords('packets', [...packets, ...crowd])[0] as PackedMessage;
}

async function view(mac: string): Promise<DeviceView | undefined> {
  const items = await readDevice(mac, { applications: 0, interfaces: 0, interfaceBytes: 0, snapshots: 0 });
  return items === undefined ? undefined : buildDeviceView(mac, items.items, [], items.flowStats);
}

/** What the view must say of a device, from every packet that names it. */
function expected(mac: string, packets: readonly Packet[]): Pick<DeviceView, 'first_seen' | 'last_seen' | 'ip_address' | 'protocols'> {
  const sighting = packetSightings('all', packets.map((p) => ({ packet: p, timestamp: p.Info?.Sniffed_Timestamp as number }))).find((s) => s.mac_address === mac);
  if (sighting === undefined) throw new Error(`no packet names ${mac}`);
  const counts = Object.entries(sighting).filter(([k]) => k.startsWith('packets#')).map(([k, v]): [string, number] => [k.slice('packets#'.length), Number(v)]);
  const protocols = Object.fromEntries(counts.sort((x, y) => (x[0] < y[0] ? -1 : 1)));
  return { first_seen: sighting.first_seen, last_seen: sighting.last_seen, ip_address: sighting.ip_address ?? null, protocols };
}

const summary = (v: DeviceView | undefined) => v && { first_seen: v.first_seen, last_seen: v.last_seen, ip_address: v.ip_address, protocols: v.protocols };

async function pending(mac: string) {
  return queryPartition(devicesConfig().devicesTable, devicePartition(mac), { beginsWith: PACKET_SIGHTING_PREFIX, consistent: true });
}

/** Folds a device's pending sightings (the first `count` when given), as the folder does. */
async function fold(mac: string, count?: number): Promise<SightingsFoldResult> {
  const config = devicesConfig();
  return foldSightings(mac, (await pending(mac)).slice(0, count), { devicesTable: config.devicesTable, markerTable: config.idempotencyTable });
}

const ok = async (event: SQSEvent) => expect((await writer(event)).batchItemFailures).toEqual([]);

describe('packet sightings of devices against DynamoDB Local', () => {
  it('counts a message delivered twice in a batch and again after its fold once', async () => {
    const [host, peer] = [newMac(), newMac()];
    // One packet per message: both devices are seen in passing, so sighted with puts.
    const sent = [
      [packet(tcp, host, peer, 1_800_000_000, '10.0.0.1')],
      [packet(udp, peer, host, 1_800_000_005, '10.0.0.2')],
      [packet(udp, host, peer, 1_800_000_020, '10.0.0.5')],
    ];
    const [ma, mb, mc] = sent.map(message) as [PackedMessage, PackedMessage, PackedMessage];
    await ok(sqsEvent([sqsRecord(ma.body), sqsRecord(ma.body, 2), sqsRecord(mb.body)]));
    expect((await pending(host)).length).toBe(2);
    expect(summary(await view(host))).toEqual(expected(host, sent.slice(0, 2).flat()));
    expect((await fold(host)).folded).toBe(2);
    expect(await pending(host)).toEqual([]);
    expect(summary(await view(host))).toEqual(expected(host, sent.slice(0, 2).flat()));
    // a comes back after its fold (its deletion from the queue was lost), with c.
    await ok(sqsEvent([sqsRecord(ma.body, 3), sqsRecord(mc.body)]));
    expect((await pending(host)).length).toBe(2);
    expect(summary(await view(host))).toEqual(expected(host, sent.flat()));
    const again = await fold(host);
    expect(again).toMatchObject({ folded: 1, duplicates: 1 });
    expect(summary(await view(host))).toEqual(expected(host, sent.flat()));
    expect(summary(await view(peer))).toEqual(expected(peer, sent.flat()));
  });

  it("counts a busy device in the message's transaction and the devices it meets in passing by sightings, in one view", async () => {
    const [host, a, b, c] = [newMac(), newMac(), newMac(), newMac()];
    const first = [packet(tcp, host, a, 1_800_003_000, '10.4.0.1'), packet(udp, host, b, 1_800_003_001, '10.4.0.1'), packet(tcp, c, host, 1_800_003_002, '10.4.0.3')];
    const second = [packet(tcp, a, host, 1_800_003_010, '10.4.0.2')];
    const [m1, m2] = [message(first), message(second)];
    await ok(sqsEvent([sqsRecord(m1.body), sqsRecord(m2.body), sqsRecord(m1.body, 2)]));
    // host: three packets in the first message (its counts shard), one in the second (a sighting).
    expect((await pending(host)).length).toBe(1);
    const shards = await queryPartition(devicesConfig().devicesTable, devicePartition(host), { beginsWith: 'pkts#', consistent: true });
    expect(shards.length).toBeGreaterThan(0);
    expect((await pending(a)).length).toBe(2);
    for (const mac of [host, a, b, c]) expect(summary(await view(mac)), mac).toEqual(expected(mac, [...first, ...second]));
    await ok(sqsEvent([sqsRecord(m2.body, 2), sqsRecord(m1.body, 3)]));
    await fold(host);
    await fold(a);
    for (const mac of [host, a, b, c]) expect(summary(await view(mac)), mac).toEqual(expected(mac, [...first, ...second]));
  });

  it('keeps first_seen, last_seen and the address seen last whatever was folded first', async () => {
    const [host, peer] = [newMac(), newMac()];
    const times = [1_800_000_500, 1_800_000_100, 1_800_000_900, 1_800_000_300, 1_800_000_900, 1_800_000_050];
    const sent = times.map((t, i) => [packet(i % 2 === 0 ? tcp : udp, host, peer, t, `10.1.0.${10 - i}`)]);
    for (const packets of sent) await ok(sqsEvent([sqsRecord(message(packets).body)]));
    const want = expected(host, sent.flat());
    // Two packets last seen at the same time: the larger address wins, however they are folded.
    expect(want.ip_address).toBe('10.1.0.8');
    expect(summary(await view(host))).toEqual(want);
    await fold(host, 3);
    expect(summary(await view(host))).toEqual(want);
    await fold(host, 1);
    expect(summary(await view(host))).toEqual(want);
    await fold(host);
    expect(await pending(host)).toEqual([]);
    expect(summary(await view(host))).toEqual(want);
  });

  it("counts a crashed writer's sightings once when its batch comes back", async () => {
    const [host, peer] = [newMac(), newMac()];
    const sent = [[packet(tcp, host, peer, 1_800_001_000, '10.2.0.1')], [packet(udp, host, peer, 1_800_001_001, '10.2.0.2')]];
    const [ma, mb] = sent.map(message) as [PackedMessage, PackedMessage];
    // The crashed invocation got as far as putting message a's sightings.
    const envelope = parseEnvelope(ma.body, 'packets');
    const stored = (envelope.records as Packet[]).map((p) => ({ packet: p, timestamp: p.Info?.Sniffed_Timestamp as number }));
    await putAll(devicesConfig().devicesTable, packetSightings(envelope.ingestId, stored));
    await ok(sqsEvent([sqsRecord(ma.body, 2), sqsRecord(mb.body, 2)]));
    expect(summary(await view(host))).toEqual(expected(host, sent.flat()));
    await fold(host);
    expect(summary(await view(host))).toEqual(expected(host, sent.flat()));
  });

  it('reads the same view while a fold runs', async () => {
    const [host, peer] = [newMac(), newMac()];
    const sent = Array.from({ length: 120 }, (_, i) => [packet(i % 3 === 0 ? udp : tcp, host, peer, 1_800_002_000 + i, `10.3.0.${i % 50}`)]);
    for (let i = 0; i < sent.length; i += 10) await ok(sqsEvent(sent.slice(i, i + 10).map((packets) => sqsRecord(message(packets).body))));
    const want = expected(host, sent.flat());
    expect(summary(await view(host))).toEqual(want);
    let folding = true;
    const during: unknown[] = [];
    await Promise.all([
      fold(host).finally(() => (folding = false)),
      (async () => {
        while (folding) during.push(summary(await view(host)));
      })(),
    ]);
    expect(during.length).toBeGreaterThan(0);
    for (const read of during) expect(read).toEqual(want);
    expect(await pending(host)).toEqual([]);
    expect(summary(await view(host))).toEqual(want);
  });

  it('reads devices together while one of them is folded, each as exact as alone', async () => {
    const [host, peer, other, unknown] = [newMac(), newMac(), newMac(), newMac()];
    const sent = Array.from({ length: 60 }, (_, i) => [packet(i % 3 === 0 ? udp : tcp, host, peer, 1_800_003_000 + i, `10.4.0.${i % 50}`)]);
    const elsewhere = [packet(tcp, other, peer, 1_800_003_500, '10.4.1.1')];
    for (let i = 0; i < sent.length; i += 10) await ok(sqsEvent(sent.slice(i, i + 10).map((packets) => sqsRecord(message(packets).body))));
    await ok(sqsEvent([sqsRecord(message(elsewhere).body)]));
    const macs = [other, unknown, host, peer];
    const want = [expected(other, elsewhere), undefined, expected(host, sent.flat()), expected(peer, [...sent.flat(), ...elsewhere])];
    const group = async () => {
      const devices = await readDevices(macs, { applications: 0, interfaces: 0, interfaceBytes: 0, snapshots: 0 });
      return devices.map((device, i) => device && summary(buildDeviceView(macs[i] as string, device.items, [], device.flowStats)));
    };
    expect(await group()).toEqual(want);
    let folding = true;
    const during: unknown[] = [];
    await Promise.all([
      fold(host).finally(() => (folding = false)),
      (async () => {
        while (folding) during.push(await group());
      })(),
    ]);
    expect(during.length).toBeGreaterThan(0);
    for (const read of during) expect(read).toEqual(want);
    expect(await pending(host)).toEqual([]);
    expect(await group()).toEqual(want);
  });

  it('counts a sighting once when its fold commits after the read took its marker as absent and a redelivered copy is put again', async () => {
    const [host, peer, other] = [newMac(), newMac(), newMac()];
    const sent = [packet(tcp, host, peer, 1_800_004_000, '10.5.0.1')];
    const elsewhere = [packet(udp, other, peer, 1_800_004_010, '10.5.1.1')];
    const m = message(sent);
    await ok(sqsEvent([sqsRecord(m.body), sqsRecord(message(elsewhere).body)]));
    expect((await pending(host)).length).toBe(1);
    expect((await pending(other)).length).toBe(1);
    const macs = [other, host];
    const want = [expected(other, elsewhere), expected(host, sent)];
    const group = async () => {
      const devices = await readDevices(macs, { applications: 0, interfaces: 0, interfaceBytes: 0, snapshots: 0 });
      return devices.map((device, i) => device && summary(buildDeviceView(macs[i] as string, device.items, [], device.flowStats)));
    };
    expect(await group()).toEqual(want);
    const markerTable = devicesConfig().idempotencyTable;
    // Right after the first read of fold markers (none yet), before the devices' counts are read:
    // host is folded, then the message comes back and its sightings are put again under the same keys.
    const { result: read, raced } = await withRaceAfterMarkerRead(
      markerTable,
      async () => {
        expect((await fold(host)).folded).toBe(1);
        await ok(sqsEvent([sqsRecord(m.body, 2)]));
      },
      group,
    );
    expect(raced).toBe(true);
    expect((await pending(host)).length).toBe(1);
    expect(read).toEqual(want);
    expect(await group()).toEqual(want);
  });
});
