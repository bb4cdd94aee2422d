import { putAll } from '../functions/shared/batch-writer.ts';
import { shardOf } from '../functions/shared/sharding.ts';
import { flowKey, hourPartition } from '../functions/flows/storage.ts';
import { APPLICATION_COUNTED, APPLICATION_COUNT_ATTRIBUTE, APPLICATION_OF, applicationCountKey, applicationKey } from '../functions/devices/storage.ts';
import { PROTOCOLS } from '../functions/packets/protocols.ts';
import { sortKey } from '../functions/packets/storage.ts';
import type { LocalRuntime } from '../infra/local/runtime.ts';
import { percentile } from './stats.ts';

export const READ_HOUR = 777_777;
export const READ_DEVICE = '02:be:00:00:00:01';

/** Adds `count` records to each table the read endpoints use, none of them the ones read. */
export async function preload(count: number, offset: number): Promise<void> {
  const env = (name: string) => process.env[name] as string;
  const packetItems = Array.from({ length: count }, (_, i) => {
    const id = `bench-${offset + i}`;
    const protocol = PROTOCOLS[i % PROTOCOLS.length] as string;
    return { pk: `${protocol}#${shardOf(id, 4)}`, sk: sortKey(1_600_000_000 + offset + i, id), packet_id: id, protocol, timestamp: 1_600_000_000 + offset + i, fields: { n: i } };
  });
  const flowItems = Array.from({ length: count }, (_, i) => {
    const record = { src_app: `s${offset + i}`, dest_app: 'd', vpc_id: 'v' };
    const sk = flowKey(record);
    return { pk: hourPartition(1_000 + ((offset + i) % 500), shardOf(sk, 4)), sk, ...record, bytes_tx: 1, bytes_rx: 1, hour: 1_000 + ((offset + i) % 500) };
  });
  const deviceItems = Array.from({ length: count }, (_, i) => ({ pk: `dev#02:ee:${String(offset + i).padStart(8, '0').replace(/(..)(..)(..)(..)/, '$1:$2:$3:$4')}`, sk: 'profile', mac_address: 'x' }));
  await Promise.all([putAll(env('PACKETS_TABLE'), packetItems), putAll(env('FLOWS_TABLE'), flowItems), putAll(env('DEVICES_TABLE'), deviceItems)]);
}

/** The data the measured reads return, the same size whatever else the tables hold. */
export async function seedReadTargets(): Promise<void> {
  const env = (name: string) => process.env[name] as string;
  const rows = Array.from({ length: 100 }, (_, i) => {
    const record = { src_app: `r${i}`, dest_app: 'd', vpc_id: 'v' };
    const sk = flowKey(record);
    return { pk: hourPartition(READ_HOUR, shardOf(sk, 4)), sk, ...record, bytes_tx: i, bytes_rx: i, hour: READ_HOUR };
  });
  const device = `dev#${READ_DEVICE}`;
  const deviceItems = [
    { pk: device, sk: 'profile', mac_address: READ_DEVICE, host_name: 'bench', first_seen: '2026-01-01T00:00:00.000Z', last_seen: '2026-01-01T01:00:00.000Z' },
    // Five applications as the devices writer stores them: indexed by device and time, and counted.
    ...Array.from({ length: 5 }, (_, i) => ({ ...applicationKey(READ_DEVICE, `d${i}`), digest: `d${i}`, app_name: `app${i}`, [APPLICATION_OF]: READ_DEVICE, last_seen: `2026-01-01T00:0${i}:00.000Z`, [APPLICATION_COUNTED]: true })),
    { ...applicationCountKey(READ_DEVICE, 'd0'), [APPLICATION_COUNT_ATTRIBUTE]: 5 },
    ...Array.from({ length: 60 }, (_, i) => ({ pk: device, sk: `snap#2026-01-01T00:${String(i).padStart(2, '0')}:00.000Z`, time_stamp: 'x', upload_speed: 1, download_speed: 2, active_connection: true })),
  ];
  await Promise.all([putAll(env('FLOWS_TABLE'), rows), putAll(env('DEVICES_TABLE'), deviceItems)]);
}

export const READ_PATHS = ['/packets/tables/all', `/flows?hour=${READ_HOUR}`, `/devices/${READ_DEVICE}`];

/** Median and p99 latency in ms of `times` sequential GETs. */
export async function readLatency(runtime: LocalRuntime, key: string, path: string, times = 30): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = performance.now();
    const response = await fetch(`${runtime.url}${path}`, { headers: { 'x-api-key': key } });
    if (response.status !== 200) throw new Error(`${path} answered ${response.status}`);
    await response.arrayBuffer();
    samples.push(performance.now() - started);
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}
