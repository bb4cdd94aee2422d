import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { queryPartition } from '../../functions/shared/partition-query.ts';
import { devicesConfig } from '../../functions/devices/config.ts';
import { PACKET_SIGHTING_PREFIX, devicePartition, foldedSightingsKey } from '../../functions/devices/storage.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import { TEST_API_KEY, eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';

// The devices table's stream feeds the sightings folder here, as on AWS: a device's packet
// counts are read while its sightings are pending, and read the same once they are folded.
const FOLD_AFTER = 3;
let runtime: LocalRuntime;

beforeAll(async () => {
  runtime = await startTestRuntime({
    streamEventSources: true,
    env: { API_KEYS: TEST_API_KEY, POWERTOOLS_METRICS_DISABLED: 'true', SIGHTING_FOLD_AFTER: String(FOLD_AFTER), SIGHTING_FOLD_CHECK_EVERY: '1' },
  });
});
afterAll(async () => runtime?.stop());

const tcp = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Packet;
const udp = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8')) as Packet;

function packet(sample: Packet, source: string, destination: string, seconds: number): Packet {
  const p = structuredClone(sample) as Record<string, Record<string, unknown>>;
  p.Packet_802_3 = { ...p.Packet_802_3, Source_MAC: source, Destination_MAC: destination };
  p.Info = { Sniffed_Timestamp: seconds };
  return p as unknown as Packet;
}

async function sightings(mac: string): Promise<{ pending: number; folded: boolean }> {
  const table = devicesConfig().devicesTable;
  const items = await queryPartition(table, devicePartition(mac), { consistent: true });
  return { pending: items.filter((i) => String(i.sk).startsWith(PACKET_SIGHTING_PREFIX)).length, folded: items.some((i) => i.sk === foldedSightingsKey(mac).sk) };
}

describe('packet sightings folded in the background', () => {
  it('answers the same device counts while sightings are pending and once the folder has folded them', async () => {
    const suffix = Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0');
    const mac = (n: number) => `02:5b:00:${suffix.slice(0, 2)}:${suffix.slice(2)}:0${n}`;
    const crowdMac = (post: number, n: number) => `02:5c:${suffix.slice(0, 2)}:${suffix.slice(2)}:${String(post).padStart(2, '0')}:${String(n).padStart(2, '0')}`;
    // host and peer meet once per request (sighted with puts); busy and other many times (the writer's transaction).
    const [host, peer, busy, other] = [mac(1), mac(2), mac(3), mac(4)];
    const protocols: Record<string, number> = {};
    const times: number[] = [];
    for (let post = 0; post < 5; post++) {
      const passing = packet(post % 2 === 0 ? udp : tcp, post % 2 === 0 ? host : peer, post % 2 === 0 ? peer : host, 1_800_100_000 + post * 100);
      const busyPackets = Array.from({ length: 20 }, (_, i) => packet(i % 4 === 0 ? udp : tcp, i % 2 === 0 ? busy : other, i % 2 === 0 ? other : busy, 1_800_100_001 + post * 100 + i));
      // A crowd of eight devices seen once each: the request names more than MAX_TRANSACTION_DEVICES.
      const crowd = Array.from({ length: 4 }, (_, i) => packet(tcp, crowdMac(post, 2 * i), crowdMac(post, 2 * i + 1), 1_800_100_050 + post * 100 + i));
      const packets = [passing, ...busyPackets, ...crowd];
      times.push(passing.Info?.Sniffed_Timestamp as number);
      for (const layer of layersOf(passing)) protocols[layer] = (protocols[layer] ?? 0) + 1;
      expect((await postJson(runtime.url, '/packets', packets)).status).toBe(202);
      const want = JSON.stringify(Object.fromEntries(Object.entries(protocols).sort()));
      await eventually(async () => {
        const { status, body } = await getJson(runtime.url, `/devices/${host}?snapshots=0`);
        return status === 200 && JSON.stringify(body.protocols) === want ? true : undefined;
      }, 30_000, `post ${post} visible`);
      // Fewer sightings than SIGHTING_FOLD_AFTER: they stay pending, and are read.
      if (post === FOLD_AFTER - 2) expect(await sightings(host)).toEqual({ pending: FOLD_AFTER - 1, folded: false });
      if (post === FOLD_AFTER - 1) await eventually(async () => ((await sightings(host)).folded ? true : undefined), 30_000, 'the first fold');
    }
    await eventually(async () => ((await sightings(host)).pending < FOLD_AFTER ? true : undefined), 30_000, 'pending below the threshold');
    const { body } = await getJson(runtime.url, `/devices/${host}?snapshots=0`);
    expect(body).toMatchObject({
      mac_address: host,
      protocols: Object.fromEntries(Object.entries(protocols).sort()),
      first_seen: new Date(Math.min(...times) * 1000).toISOString(),
      last_seen: new Date(Math.max(...times) * 1000).toISOString(),
    });
    // Every one of its 100 packets names it, one in four UDP. Its counts commit in the message's
    // transaction, after the sightings of the same message are put: waited for on their own.
    const busyCounts = JSON.stringify({ AF_Packet: 100, IPv4: 100, Packet_802_3: 100, TCP: 75, UDP: 25 });
    await eventually(async () => (JSON.stringify((await getJson(runtime.url, `/devices/${busy}?snapshots=0`)).body.protocols) === busyCounts ? true : undefined), 30_000, 'the busy device counted');
    expect(await sightings(busy)).toEqual({ pending: 0, folded: false });
    const list = await getJson(runtime.url, `/devices?limit=200&snapshots=0`);
    const listed = (list.body as { mac_address: string }[]).map((d) => d.mac_address);
    expect(listed.slice(0, 4)).toEqual([host, peer, busy, other]);
    expect(listed).toHaveLength(4 + 5 * 8);
  });
});
