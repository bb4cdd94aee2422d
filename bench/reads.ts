import { putAll } from '../functions/shared/batch-writer.ts';
import { shardOf } from '../functions/shared/sharding.ts';
import { flowKey, hourPartition } from '../functions/flows/storage.ts';
import { APPLICATION_COUNTED, APPLICATION_COUNT_ATTRIBUTE, APPLICATION_OF, applicationCountKey, applicationKey } from '../functions/devices/storage.ts';
import { PROTOCOLS } from '../functions/packets/protocols.ts';
import { sortKey } from '../functions/packets/storage.ts';
import type { Endpoints } from '../infra/local/emulators.ts';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { percentile } from './stats.ts';

const READ_RECORDS = Number(process.env.BENCH_READ_RECORDS ?? 100_000);
const SMALL_RECORDS = 1_000;

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

/**
 * Section 6 of `npm run bench`, or alone (`node bench/reads.ts`): each read endpoint's p50 with
 * 1,000 records per table and with READ_RECORDS. On emulators of its own, so that the other
 * sections do not run on a DynamoDB Local holding its 300,000 records (section 5's queries
 * were slower after them: flowsQuery's warm invocation 99.5 against 18.8 ms).
 */
export async function readsRows(endpoints: Endpoints, key: string, log: (line: string) => void): Promise<string[]> {
  process.env.API_KEYS = key;
  // No pollers: nothing here is queued, and stream polling slows DynamoDB Local's writes.
  const runtime = await startLocalRuntime({ endpoints, port: 0, stage: 'benchreads', schedules: false, sqsEventSources: false, streamEventSources: false, log: () => {} });
  try {
    await seedReadTargets();
    await preload(SMALL_RECORDS, 0);
    // One path at a time, before and after the load alike (they ran side by side before it
    // and one at a time after). 300 untimed reads per path first: with 10, the first reads and
    // the JIT (Node's and DynamoDB Local's, which the load warms) made the 1,000-record reads
    // 2.4-2.8x slower than the 100,000-record ones; with 300, 1.05-1.37x.
    const sequentially = async (times?: number) => {
      const latencies: { path: string; latency: { p50: number; p99: number } }[] = [];
      for (const path of READ_PATHS) latencies.push({ path, latency: await readLatency(runtime, key, path, times) });
      return latencies;
    };
    await sequentially(300);
    const small = await sequentially();
    log(`reads: loading ${READ_RECORDS} records per table`);
    const loadStarted = performance.now();
    await preload(READ_RECORDS - SMALL_RECORDS, SMALL_RECORDS);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const rows: string[] = [];
    const big = await sequentially();
    big.forEach(({ path, latency: { p50 } }, i) => {
      const before = small[i]?.latency.p50 ?? Number.NaN;
      const ratio = p50 / before;
      rows.push(`| 6 reads | GET ${path}, p50 ms | ${p50.toFixed(1)} at ${READ_RECORDS / 1000}k | ${before.toFixed(1)} at ${SMALL_RECORDS / 1000}k | ${ratio.toFixed(2)} | <= 1.5 | ${ratio <= 1.5 ? 'met' : '**missed**'} |`);
    });
    rows.push(`| 6 reads | records per table (packets, flows, devices) loaded between the two sets of reads, and how long it took | ${(READ_RECORDS - SMALL_RECORDS).toLocaleString('en-US')} in ${Math.round(loadSeconds)} s |  |  |  |  |`);
    return rows;
  } finally {
    await runtime.stop();
  }
}

if (isEntryPoint(import.meta.url)) {
  await runSectionAlone((endpoints) => readsRows(endpoints, 'bench-key', (line) => process.stderr.write(`${line}\n`)));
}
