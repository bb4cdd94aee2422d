import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { applyExactlyOnce, exactlyOnceStats } from '../../functions/shared/exactly-once.ts';
import { devicesConfig } from '../../functions/devices/config.ts';
import { sighting } from '../../functions/devices/updates.ts';
import { indexKey, packetCountsKey, profileKey } from '../../functions/devices/storage.ts';
import { packetDevices } from '../../functions/packets/device-sightings.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { startTestRuntime } from '../helpers/runtime.ts';

// What a writer process does with an item it has not met: a new Lambda sandbox knows no item,
// and most of those it writes exist already. Planned as existing, such an item takes one
// write; a new one is refused once and made again, and still gets everything its creation
// brings (a device's index entry). This file's order matters: the last test leaves the process
// planning unknown items as new.

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
});
afterAll(async () => runtime?.stop());

const table = () => devicesConfig().devicesTable;
const markers = () => devicesConfig().idempotencyTable;
const T0 = Date.UTC(2026, 3, 1, 8, 0, 0);
const iso = (ms: number) => new Date(ms).toISOString();
const get = async (key: Record<string, string>) => (await documentClient().send(new GetCommand({ TableName: table(), Key: key, ConsistentRead: true }))).Item;

/** Applies one unit and returns the attempts its conditions refused (exactlyOnceStats.stateRetries). */
async function refusedWhileApplying(id: string, updates: Parameters<typeof applyExactlyOnce>[0][number]['updates']): Promise<number> {
  const before = exactlyOnceStats.stateRetries;
  await applyExactlyOnce([{ id, updates }], { markerTable: markers(), shards: 1 });
  return exactlyOnceStats.stateRetries - before;
}

/** A packet between two devices, as the sniffer sends it, sniffed at `at` (ms). */
function packetBetween(source: string, destination: string, at: number): { packet: Packet; timestamp: number } {
  const packet = { Packet_802_3: { Source_MAC: source, Destination_MAC: destination, Ethertype: 2048 }, IPv4: { Source_Address: '10.9.0.1', Destination_Address: '10.9.0.2' } } as unknown as Packet;
  return { packet, timestamp: at / 1000 };
}

describe('items a writer process has not met, against DynamoDB Local', () => {
  it('updates a device profile stored by another process in one write, keeping its earlier first_seen', async () => {
    const mac = '02:a1:00:00:00:01';
    // Another sandbox saw the device an hour ago.
    await documentClient().send(new PutCommand({ TableName: table(), Item: { ...profileKey(mac), mac_address: mac, first_seen: iso(T0 - 3_600_000), last_seen: iso(T0 - 60_000) } }));
    expect(await refusedWhileApplying('unknown-1', sighting(table(), mac, iso(T0), { host_name: 'h1' }))).toBe(0);
    expect(await get(profileKey(mac))).toMatchObject({ first_seen: iso(T0 - 3_600_000), last_seen: iso(T0), host_name: 'h1' });
  });

  it('counts a busy device whose counts shard exists in one transaction, and one new to the table after one refusal, indexing it', async () => {
    const [known, fresh, other] = ['02:a1:00:00:00:02', '02:a1:00:00:00:03', '02:a1:00:00:00:04'];
    await documentClient().send(new PutCommand({ TableName: table(), Item: { pk: packetCountsKey(known).pk, sk: `${packetCountsKey(known).sk}#0`, mac_address: known, first_seen: iso(T0 - 3_600_000), last_seen: iso(T0 - 60_000), 'packets#IPv4': 5 } }));
    const knownUnit = packetDevices(table(), 'unknown-2', [packetBetween(known, other, T0)]).updates.filter((u) => u.set?.mac_address === known);
    expect(await refusedWhileApplying('unknown-2', knownUnit)).toBe(0);
    expect(await get({ pk: packetCountsKey(known).pk, sk: `${packetCountsKey(known).sk}#0` })).toMatchObject({ first_seen: iso(T0 - 3_600_000), last_seen: iso(T0), 'packets#IPv4': 6 });

    const freshUnit = packetDevices(table(), 'unknown-3', [packetBetween(fresh, other, T0)]).updates.filter((u) => u.set?.mac_address === fresh);
    expect(await refusedWhileApplying('unknown-3', freshUnit)).toBe(1);
    expect(await get({ pk: packetCountsKey(fresh).pk, sk: `${packetCountsKey(fresh).sk}#0` })).toMatchObject({ first_seen: iso(T0), last_seen: iso(T0), 'packets#IPv4': 1 });
    expect(await get(indexKey(fresh))).toMatchObject({ mac_address: fresh });
  });

  it('moves first_seen back on an unknown item even when that is all an update asks, and keeps it right after', async () => {
    const mac = '02:a1:00:00:00:05';
    const key = profileKey(mac);
    const firstSeenOnly = (id: string, at: number) => refusedWhileApplying(id, [{ table: table(), key, add: {}, setIfOlder: { first_seen: iso(at) } }]);
    await documentClient().send(new PutCommand({ TableName: table(), Item: { ...key, mac_address: mac, first_seen: iso(T0 - 3_600_000), last_seen: iso(T0) } }));
    // Planned on a guess, an update with nothing else to write must still make sure of first_seen.
    await firstSeenOnly('unknown-5', T0 - 7_200_000);
    expect(await get(key)).toMatchObject({ first_seen: iso(T0 - 7_200_000) });

    // Known after a sighting planned on a guess: what the process remembers of first_seen must not hide an earlier one.
    const other = '02:a1:00:00:00:06';
    await documentClient().send(new PutCommand({ TableName: table(), Item: { ...profileKey(other), mac_address: other, first_seen: iso(T0 - 3_600_000), last_seen: iso(T0 - 60_000) } }));
    expect(await refusedWhileApplying('unknown-6', sighting(table(), other, iso(T0)))).toBe(0);
    await refusedWhileApplying('unknown-7', [{ table: table(), key: profileKey(other), add: {}, setIfOlder: { first_seen: iso(T0 - 7_200_000) } }]);
    expect(await get(profileKey(other))).toMatchObject({ first_seen: iso(T0 - 7_200_000), last_seen: iso(T0) });
  });

  it('plans unknown items as new once most of those it met lately were new, as in a scan, whatever else it writes', async () => {
    const refused: number[] = [];
    for (let i = 0; i < 64; i++) {
      const mac = `02:a2:00:00:00:${i.toString(16).padStart(2, '0')}`;
      // Beside each new device, an item whose update is the same whether it exists or not (an
      // application's last_seen): its success says nothing of the guess and must not hold it.
      await refusedWhileApplying(`scan-app-${i}`, [{ table: table(), key: { pk: `app#${mac}`, sk: 'app' }, add: {}, setIfNewer: { last_seen: iso(T0 + i) } }]);
      refused.push(await refusedWhileApplying(`scan-${i}`, sighting(table(), mac, iso(T0 + i))));
      expect(await get(profileKey(mac))).toMatchObject({ first_seen: iso(T0 + i), last_seen: iso(T0 + i) });
      expect(await get(indexKey(mac))).toMatchObject({ mac_address: mac });
    }
    // Refused at first, while planned as existing; then no more.
    expect(refused[0]).toBe(1);
    expect(refused.slice(-16)).toEqual(Array(16).fill(0));
  });
});
