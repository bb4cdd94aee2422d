// Hot items: packets end to end (POST /packets -> visible in /packets/tables/all, queue drained)
// for three workloads, each side by side with the raw ceiling (BatchWriteItem of the same layer
// items straight to DynamoDB Local), with the TransactionConflict retries the writers met.
// Part of `npm run bench` (section 8); alone: `node bench/hot-items.ts` (prints its rows).
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { GetQueueAttributesCommand, PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../functions/shared/dynamodb-client.ts';
import { putChunk } from '../functions/shared/batch-writer.ts';
import { exactlyOnceStats } from '../functions/shared/exactly-once.ts';
import { meteredUsage } from '../functions/shared/usage-meter.ts';
import { packRecords, parseEnvelope } from '../functions/shared/queue-envelope.ts';
import type { Packet } from '../functions/packets/packet-schema.ts';
import { parsePackets } from '../functions/packets/packet-schema.ts';
import { packetsConfig } from '../functions/packets/config.ts';
import { layerItems, layersOf } from '../functions/packets/storage.ts';
import { indexEntries, packetDevices } from '../functions/packets/device-sightings.ts';
import type { Endpoints } from '../infra/local/emulators.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.ts';
import { measure, show, warmUntilSettled, type Measure, type WarmUp } from './stats.ts';

/** Packets of one run: `count` of them, sniffed from `start` (epoch seconds) on. */
type Workload = (count: number, start: number) => Packet[];

const samples = readdirSync('events/packets')
  .sort()
  .map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
const tcpSample = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Packet;

const hex = (n: number, octets: number) =>
  n
    .toString(16)
    .padStart(octets * 2, '0')
    .match(/../g)
    ?.join(':') as string;

/** A TCP/IPv4 packet of four layers (AF_Packet, Packet_802_3, IPv4, TCP) between two MACs. */
function tcpPacket(i: number, time: number, from: { mac: string; ip: string }, to: { mac: string; ip: string }): Packet {
  const p = structuredClone(tcpSample) as Record<string, Record<string, unknown>>;
  Object.assign(p.Packet_802_3 as object, { Source_MAC: from.mac, Destination_MAC: to.mac });
  Object.assign(p.IPv4 as object, { Source_Address: from.ip, Destination_Address: to.ip, Identification: i % 65_536 });
  Object.assign(p.TCP as object, { Source_Port: 443, Destination_Port: 40_000 + (i % 20_000), Sequence_Number: (i * 1_460) % 4_294_967_296 });
  Object.assign(p.AF_Packet as object, { Hardware_Physical_Address: from.mac });
  p.Info = { Sniffed_Timestamp: time, Processed_Timestamp: time, Size: 54, Submitter_Timestamp: time };
  return p as unknown as Packet;
}

/** (a) One machine's capture: the same two MACs (and addresses) in every packet, both directions. */
const oneHostPair: Workload = (count, start) => {
  const host = { mac: '00:15:5d:3c:5f:b2', ip: '172.27.112.1' };
  const peer = { mac: '00:15:5d:44:43:68', ip: '172.27.118.244' };
  return Array.from({ length: count }, (_, i) => (i % 2 === 0 ? tcpPacket(i, start + i / 1000, host, peer) : tcpPacket(i, start + i / 1000, peer, host)));
};

let pairs = 0;
/** (b) Many distinct devices: a new pair of (locally administered, unicast) MACs in every packet. */
const newPairPerPacket: Workload = (count, start) =>
  Array.from({ length: count }, (_, i) => {
    const n = pairs++;
    const ip = (k: number) => `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
    return tcpPacket(i, start + i / 1000, { mac: `02:${hex(2 * n, 5)}`, ip: ip(2 * n) }, { mac: `02:${hex(2 * n + 1, 5)}`, ip: ip(2 * n + 1) });
  });

/** (c) The ten samples of events/packets, cycled. */
export const tenSamples: Workload = (count, start) =>
  Array.from({ length: count }, (_, i) => {
    const p = structuredClone(samples[i % samples.length]) as Packet;
    p.Info = { ...(p.Info ?? {}), Sniffed_Timestamp: start + i / 1000 };
    return p;
  });

/**
 * The workloads, and the share of the run's POSTs each sends: (b) half, because each of its
 * packets brings two new devices, and at the full 12,000 packets a writer's batch (60
 * messages) needs more than its 30 s timeout on a 2-core machine, so that what the run
 * measured would be the 180 s visibility timeout rather than the writer.
 */
export const HOT_WORKLOADS: { name: string; workload: Workload; share: number }[] = [
  { name: '(a) one host pair', workload: oneHostPair, share: 1 },
  { name: '(b) new MAC pair per packet', workload: newPairPerPacket, share: Number(process.env.HOT_B_SHARE ?? 0.5) },
  { name: '(c) the ten samples', workload: tenSamples, share: 1 },
];

export interface HotItemsOptions {
  runs: number;
  /** POSTs per run, packets in each, and clients posting them concurrently. */
  requests: number;
  perRequest: number;
  clients: number;
  /**
   * Concurrent BatchWriteItem requests of the raw ceiling: 32, as many as the writers have in
   * flight (2 pollers x 4 messages x 4 requests), where DynamoDB Local goes fastest.
   */
  rawConcurrency: number;
  /** How long after the counts are complete a run waits for the queue to empty. */
  drainLimitSeconds: number;
  log: (line: string) => void;
}

export const DEFAULT_HOT_OPTIONS: HotItemsOptions = {
  runs: Number(process.env.BENCH_RUNS ?? 3),
  requests: Number(process.env.HOT_REQUESTS ?? 120),
  perRequest: Number(process.env.HOT_PER_REQUEST ?? 100),
  clients: Number(process.env.HOT_CLIENTS ?? 4),
  rawConcurrency: Number(process.env.HOT_RAW_CONCURRENCY ?? 32),
  drainLimitSeconds: Number(process.env.HOT_DRAIN_LIMIT ?? 200),
  log: (line) => process.stderr.write(`${line}\n`),
};

let timeBase = 1_760_000_000;

// On-demand list prices in us-east-1, as docs/scale-model.md states them.
const WRITE_UNIT_USD = 0.625 / 1e6;
const READ_UNIT_USD = 0.125 / 1e6;
const SQS_REQUEST_USD = 0.4 / 1e6;
const usd = (dollars: number) => `$${dollars.toFixed(2)}`;

/** Messages a queue holds: waiting, in flight and delayed. */
export async function queueDepth(sqs: SQSClient, url: string | undefined): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesDelayed ?? 0);
}

/**
 * Packets/s from the first POST until every packet is counted in /packets/tables/all, how long
 * until the queue was empty too (writes done after the counts, or batches retried after a
 * writer timed out, show there), and the TransactionConflict retries the writers met.
 */
async function endToEnd(
  runtime: LocalRuntime,
  key: string,
  bodies: Packet[][],
  clients: number,
  sqs: SQSClient,
  drainLimitSeconds: number,
): Promise<{ rate: number; drainedSeconds: number; conflicts: number; wouldConflict: number; transactions: number }> {
  const headers = { 'x-api-key': key };
  const count = async () => ((await (await fetch(`${runtime.url}/packets/tables/all`, { headers })).json()) as Record<string, number>).AF_Packet ?? 0;
  const queueUrl = runtime.resources.queues.get('PacketsQueue')?.url as string;
  const total = bodies.reduce((n, b) => n + b.length, 0);
  const base = await count();
  const before = { ...exactlyOnceStats };
  const started = performance.now();
  let next = 0;
  const posting = Promise.all(
    Array.from({ length: clients }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as Packet[];
        const response = await fetch(`${runtime.url}/packets`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
        if (response.status !== 202) throw new Error(`POST /packets answered ${response.status}: ${await response.text()}`);
        await response.arrayBuffer();
      }
    }),
  );
  if (process.env.HOT_LOG) void posting.then(() => process.stderr.write(`${Math.round(performance.now())} posted (started ${Math.round(started)})\n`));
  const deadline = performance.now() + 900_000;
  let visibleAt: number | undefined;
  let drainedSeconds = Number.POSITIVE_INFINITY;
  for (;;) {
    const seen = (await count()) - base;
    if (seen > total) throw new Error(`counted ${seen} packets of ${total} sent`);
    if (seen === total) visibleAt ??= performance.now();
    if (visibleAt !== undefined && (await queueDepth(sqs, queueUrl)) === 0) {
      drainedSeconds = (performance.now() - started) / 1000;
      break;
    }
    if (visibleAt !== undefined && performance.now() - visibleAt > drainLimitSeconds * 1000) {
      // Writers that outlive their timeout leave their batch to come back after the visibility
      // timeout (180 s) again and again: the run is over, what is left must not leak into the next.
      await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
      await new Promise((r) => setTimeout(r, 2_000));
      break;
    }
    if (performance.now() > deadline) throw new Error(`only ${seen} of ${total} packets became visible in 900 s`);
    await new Promise((r) => setTimeout(r, 25));
  }
  await posting;
  return {
    rate: total / (((visibleAt as number) - started) / 1000),
    drainedSeconds,
    conflicts: exactlyOnceStats.conflictRetries - before.conflictRetries,
    wouldConflict: exactlyOnceStats.wouldConflict - before.wouldConflict,
    transactions: exactlyOnceStats.transactions - before.transactions,
  };
}

function layersPerPacket(workload: Workload): number {
  const sample = workload(1_000, 0);
  return sample.reduce((n, p) => n + layersOf(p).length, 0) / sample.length;
}

/** Packets/s of BatchWriteItem of the same layer items (packed into messages as ingest packs them). */
export async function rawCeiling(bodies: Packet[][], concurrency: number): Promise<number> {
  const config = packetsConfig();
  const items = bodies.flatMap((body) =>
    packRecords('packets', body).flatMap((m) => {
      const envelope = parseEnvelope(m.body, 'packets');
      return layerItems(envelope, parsePackets(envelope.records), config.packetShards);
    }),
  );
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < items.length; i += 25) chunks.push(items.slice(i, i + 25));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < chunks.length) await putChunk(config.packetsTable, chunks[next++] as Record<string, unknown>[]);
    }),
  );
  return bodies.reduce((n, b) => n + b.length, 0) / ((performance.now() - started) / 1000);
}

/**
 * What one item written costs DynamoDB Local, side by side: items/s of BatchWriteItem of
 * layer items (25 a request), of BatchWriteItem of the device items workload (b)'s packets
 * bring (a sighting and an index entry per new MAC, 25 a request, into the devices table,
 * whose stream DynamoDB Local writes a record to for each), of TransactWriteItems of 100
 * updates each creating a small item (as a new device's shard and index entry are), and of
 * UpdateItem one item a request; each with `concurrency` requests in flight. It bounds what a
 * workload whose packets each bring new items besides their layers (workload b) can reach
 * against the layers' ceiling.
 */
export async function itemCosts(concurrency: number, perMessage: number, items = 4_000): Promise<ItemCosts> {
  const config = packetsConfig();
  const table = config.packetsTable;
  const run = `cost#${timeBase++}`;
  const layer = layerItems(parseEnvelope((packRecords('packets', tenSamples(1, timeBase))[0] as { body: string }).body, 'packets'), tenSamples(1, timeBase), 1)[0] as Record<string, unknown>;
  const inParallel = async (requests: number, work: (i: number) => Promise<void>) => {
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < requests) await work(next++);
    }));
    return (performance.now() - started) / 1000;
  };
  const client = documentClient();
  const batchSeconds = await inParallel(items / 25, async (r) => {
    await putChunk(table, Array.from({ length: 25 }, (_, j) => ({ ...layer, pk: `${run}#put#${r % 4}`, sk: `${r}#${j}` })));
  });
  // As many packets' device items as there were layer items above (four layers a packet).
  const deviceItems = newPairDeviceItems(config.devicesTable, items / 4, perMessage, run);
  const deviceSeconds = await inParallel(deviceItems.length / 25, async (r) => {
    await putChunk(config.devicesTable, deviceItems.slice(r * 25, r * 25 + 25));
  });
  const update = (pk: string, sk: string) => ({ TableName: table, Key: { pk, sk }, UpdateExpression: 'ADD #n :one SET #m = :m', ExpressionAttributeNames: { '#n': 'packets#TCP', '#m': 'mac_address' }, ExpressionAttributeValues: { ':one': 1, ':m': sk } });
  const transactSeconds = await inParallel(items / 100, async (r) => {
    await client.send(new TransactWriteCommand({ TransactItems: Array.from({ length: 100 }, (_, j) => ({ Update: update(`${run}#txn#${r}`, String(j)) })) }));
  });
  const singleSeconds = await inParallel(items / 4, async (r) => {
    await client.send(new UpdateCommand(update(`${run}#single#${r % 16}`, String(r))));
  });
  return { batchPut: items / batchSeconds, deviceBatchPut: deviceItems.length / deviceSeconds, transactUpdate: items / transactSeconds, singleUpdate: items / 4 / singleSeconds };
}

export type ItemCosts = { batchPut: number; deviceBatchPut: number; transactUpdate: number; singleUpdate: number };

/**
 * The device items of `count` packets of workload (b), as the packets writer puts those of its
 * messages of `perMessage` packets (more MACs than a transaction takes): a sighting and an
 * index entry per new MAC.
 */
function newPairDeviceItems(devicesTable: string, count: number, perMessage: number, run: string): Record<string, unknown>[] {
  const packets = newPairPerPacket(count, timeBase);
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < packets.length; i += perMessage) {
    const message = packets.slice(i, i + perMessage).map((packet) => ({ packet, timestamp: timeBase }));
    const { sightings } = packetDevices(devicesTable, `${run}#${i}`, message);
    items.push(...sightings, ...indexEntries(sightings.map((sighting) => sighting.mac_address)));
  }
  return items;
}

export interface HotItemsResult {
  workload: string;
  /** POSTs of each run. */
  requests: number;
  endToEnd: Measure;
  ceiling: Measure;
  ratio: number;
  /** Seconds from the first POST until the queue was empty, each run. */
  drained: number[];
  /**
   * TransactionConflict retries of each run (DynamoDB Local never answers it), the writes that
   * named an item a transaction in flight held (DynamoDB would have refused them), and
   * transactions committed.
   */
  conflicts: number[];
  wouldConflict: number[];
  transactions: number[];
  /** Writer invocations that failed or timed out (their batch returns to the queue), each run. */
  failures: number[];
  /** Seconds from the queue's emptying until the stream-fed functions had nothing left to read, each run. */
  streamsIdle: number[];
  /**
   * Billed DynamoDB write units and read units of every function but the query functions
   * (whose reads of the counts tell the bench when packets are visible), until the stream-fed
   * functions are idle, and SQS requests (ingest's sends, the pollers' receives and deletes)
   * until the queue is empty, per million packets, each run.
   */
  writeUnitsPerMillion: number[];
  readUnitsPerMillion: number[];
  sqsRequestsPerMillion: number[];
  /** Layer items per packet of the workload: the write units its layers alone take. */
  layersPerPacket: number;
}

/** Read units of every function but those answering clients' GETs (the *Query functions); none of reads made outside an invocation. */
const pipelineReadUnits = (usage: typeof meteredUsage): number =>
  Object.entries(usage.readUnitsByFunction).reduce((sum, [fn, units]) => (fn === '' || fn.endsWith('Query') ? sum : sum + units), 0);

/** Stream-fed functions count as idle after this long without records (their pollers wait 250 ms between empty reads). */
const STREAMS_QUIET_MS = 2_000;
const STREAMS_IDLE_LIMIT_MS = 300_000;

/** The local runtime's pollers per queue (its default, what `npm start` runs). */
export const POLLERS = 2;

/**
 * Each workload end to end through a runtime of its own (POLLERS pollers per queue) and,
 * alternately, as raw BatchWriteItem, `runs` times each; ratios are of the medians.
 */
export interface HotItemsReport {
  workloads: HotItemsResult[];
  /** Items/s of each kind of write (see itemCosts), each run. */
  costs: { [kind in keyof ItemCosts]: number[] };
  /** The warm-up's rounds, and the end-to-end packets/s of its first and last. */
  warmUp: WarmUp;
  /** Device items a packet of workload (b) brings (see newPairDeviceItems). */
  deviceItemsPerPacket: number;
}

/**
 * Warm-up rounds, not measured, of WARM_UP_POSTS POSTs of (c)'s packets end to end and then
 * raw, until a round's end-to-end rate is within WARM_UP_SETTLED of the last one's (at least
 * WARM_UP_MIN_ROUNDS): DynamoDB Local's JVM keeps compiling for about 12,000 packets. With a
 * warm-up of one POST per client, the end-to-end runs came before most of that compiling and
 * each raw ceiling after it, so a workload's runs rose from one to the next ((a): 901, 963,
 * 1,171 packets/s against 1,268, 1,401, 1,422 raw) and its ratio was 0.69 in one full run
 * and 0.96 in the one before.
 */
const WARM_UP_POSTS = 30;
const WARM_UP_SETTLED = 0.1;
const WARM_UP_MIN_ROUNDS = 3;
const WARM_UP_MAX_ROUNDS = 10;

export async function hotItemsRun(endpoints: Endpoints, key: string, options: HotItemsOptions = DEFAULT_HOT_OPTIONS): Promise<HotItemsReport> {
  const writerFailures = { count: 0 };
  let lastStreamDelivery = performance.now();
  // A run's devices-table records reach the live broadcaster and the sightings folder after
  // its queue is empty: the next run waits for them, so that it never pays for the last one's
  // records, and the row says how long they took (0.0-0.2 s in the runs measured).
  const streamsIdle = async (): Promise<number> => {
    const from = performance.now();
    while (performance.now() - lastStreamDelivery < STREAMS_QUIET_MS && performance.now() - from < STREAMS_IDLE_LIMIT_MS) await sleep(100);
    return Math.max(0, lastStreamDelivery - from) / 1000;
  };
  const runtime = await startLocalRuntime({
    endpoints,
    port: 0,
    stage: 'benchhot',
    schedules: false,
    pollerConcurrency: POLLERS,
    // HOT_STREAMS=off: without the stream-fed functions (the live broadcaster, the folders).
    streamEventSources: process.env.HOT_STREAMS !== 'off',
    env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true' },
    log: (line) => {
      if (process.env.HOT_LOG) options.log(`${Math.round(performance.now())} ${line}`);
      // `stream <table> -> <function> <n> records, ...`: a stream-fed function had records to read.
      if (line.startsWith('stream ')) lastStreamDelivery = performance.now();
      // `sqs <queue> -> packetsWriter <n> msgs, threw (...)` or `..., <k> failed ...`: a batch (part) back to the queue.
      if (/-> packetsWriter \d+ msgs, (threw|\d+ failed)/.test(line)) writerFailures.count++;
    },
  });
  const sqs = new SQSClient({});
  const results: HotItemsResult[] = [];
  const costs: HotItemsReport['costs'] = { batchPut: [], deviceBatchPut: [], transactUpdate: [], singleUpdate: [] };
  let warmUp: WarmUp = { rounds: 0, first: 0, last: 0 };
  // While the runtime's environment names the tables.
  const deviceItemsPerPacket = newPairDeviceItems(packetsConfig().devicesTable, options.perRequest, options.perRequest, 'per packet').length / options.perRequest;
  try {
    let round = 0;
    warmUp = await warmUntilSettled(
      async () => {
        const warm = Array.from({ length: WARM_UP_POSTS }, () => tenSamples(options.perRequest, (timeBase += 1_000)));
        const { rate } = await endToEnd(runtime, key, warm, options.clients, sqs, options.drainLimitSeconds);
        await rawCeiling(warm, options.rawConcurrency);
        await streamsIdle();
        options.log(`hot items warm-up round ${++round}: end to end ${rate.toFixed(0)} packets/s`);
        return rate;
      },
      { within: WARM_UP_SETTLED, minRounds: WARM_UP_MIN_ROUNDS, maxRounds: WARM_UP_MAX_ROUNDS },
    );
    // HOT_ONLY=a,c runs only those workloads (their letters).
    const only = process.env.HOT_ONLY?.split(',');
    for (const { name, workload, share } of HOT_WORKLOADS.filter((w) => only === undefined || only.includes(w.name.charAt(1)))) {
      const requests = Math.round(options.requests * share);
      const e2e: number[] = [];
      const drained: number[] = [];
      const raw: number[] = [];
      const conflicts: number[] = [];
      const wouldConflict: number[] = [];
      const transactions: number[] = [];
      const failures: number[] = [];
      const idle: number[] = [];
      const writeUnitsPerMillion: number[] = [];
      const readUnitsPerMillion: number[] = [];
      const sqsRequestsPerMillion: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const bodies = () => Array.from({ length: requests }, () => workload(options.perRequest, (timeBase += 1_000)));
        const failed = writerFailures.count;
        const usageBefore = structuredClone(meteredUsage);
        const e = await endToEnd(runtime, key, bodies(), options.clients, sqs, options.drainLimitSeconds);
        // SQS requests until the queue is empty: after it, pollers' empty receives count time, not packets.
        const sqsRequests = meteredUsage.sqsRequests - usageBefore.sqsRequests;
        e2e.push(e.rate);
        drained.push(e.drainedSeconds);
        conflicts.push(e.conflicts);
        wouldConflict.push(e.wouldConflict);
        transactions.push(e.transactions);
        failures.push(writerFailures.count - failed);
        idle.push(await streamsIdle());
        // DynamoDB units until the stream-fed functions are idle, so that folds count; writes
        // are billed as functions/shared/usage-meter.ts says (transactions at 2 units per action).
        const perMillion = (n: number) => (n / (requests * options.perRequest)) * 1e6;
        writeUnitsPerMillion.push(perMillion(meteredUsage.writeUnits - usageBefore.writeUnits));
        readUnitsPerMillion.push(perMillion(pipelineReadUnits(meteredUsage) - pipelineReadUnits(usageBefore)));
        sqsRequestsPerMillion.push(perMillion(sqsRequests));
        raw.push(await rawCeiling(bodies(), options.rawConcurrency));
        options.log(
          `hot items ${name} run ${run + 1}: end to end ${e.rate.toFixed(0)} packets/s, raw ${raw.at(-1)?.toFixed(0)} packets/s; queue empty after ${e.drainedSeconds.toFixed(1)} s, streams idle ${idle.at(-1)?.toFixed(1)} s later, ` +
            `${failures.at(-1)} writer invocations failed or timed out, ${e.conflicts} conflict retries, ${e.wouldConflict} writes on items held by a transaction in flight, ${e.transactions} transactions`,
        );
      }
      const [m, c] = [measure(e2e), measure(raw)];
      results.push({ workload: name, requests, endToEnd: m, ceiling: c, ratio: m.median / c.median, drained, conflicts, wouldConflict, transactions, failures, streamsIdle: idle, writeUnitsPerMillion, readUnitsPerMillion, sqsRequestsPerMillion, layersPerPacket: layersPerPacket(workload) });
    }
    for (let run = 0; run < options.runs; run++) {
      const cost = await itemCosts(options.rawConcurrency, options.perRequest);
      for (const kind of Object.keys(costs) as (keyof ItemCosts)[]) costs[kind].push(cost[kind]);
      options.log(`item costs run ${run + 1}: ${cost.batchPut.toFixed(0)} / ${cost.deviceBatchPut.toFixed(0)} / ${cost.transactUpdate.toFixed(0)} / ${cost.singleUpdate.toFixed(0)} items/s`);
    }
  } finally {
    sqs.destroy();
    await runtime.stop();
  }
  return { workloads: results, costs, warmUp, deviceItemsPerPacket };
}

/** The results as rows of bench/results.md's table. */
export function hotItemsRows(report: HotItemsReport, options: HotItemsOptions = DEFAULT_HOT_OPTIONS, pollers = POLLERS): string[] {
  const results = report.workloads;
  const setting = (r: HotItemsResult) =>
    `${(r.requests * options.perRequest).toLocaleString('en-US')} packets, ${r.requests} POSTs of ${options.perRequest} from ${options.clients} clients, ${pollers} pollers`;
  return results.flatMap((r) => [
    `| 8 hot items | ${r.workload}: POST -> visible in /packets/tables/all, packets/s (${setting(r)}) | ${show(r.endToEnd)} | ${show(r.ceiling)} BatchWriteItem of the layer items | ${r.ratio.toFixed(2)} | >= 0.8 | ${r.ratio >= 0.8 ? 'met' : '**missed**'} |`,
    `| 8 hot items | ${r.workload}: TransactionConflict retries per run; writes naming an item a transaction in flight held (DynamoDB would refuse them, DynamoDB Local does not); transactions per run | ${r.conflicts.join(', ')}; ${r.wouldConflict.join(', ')}; ${r.transactions.join(', ')} |  |  | 0; 0 | ${r.conflicts.every((n) => n === 0) && r.wouldConflict.every((n) => n === 0) ? 'met' : '**missed**'} |`,
    `| 8 hot items | ${r.workload}: per million packets: DynamoDB write units billed (as DynamoDB Local reports them; transactions at 2 units per action) and read units of every function but the count queries the bench polls, until the stream-fed functions are idle; SQS requests (sends, receives, deletes) until the queue is empty | ${show(measure(r.writeUnitsPerMillion))} WRU (${usd(measure(r.writeUnitsPerMillion).median * WRITE_UNIT_USD)}), ${show(measure(r.readUnitsPerMillion))} RRU (${usd(measure(r.readUnitsPerMillion).median * READ_UNIT_USD)}) and ${show(measure(r.sqsRequestsPerMillion))} requests (${usd(measure(r.sqsRequestsPerMillion).median * SQS_REQUEST_USD)}) | ${(r.layersPerPacket * 1e6).toLocaleString('en-US')} WRU: one per layer item |  |  |  |`,
    `| 8 hot items | ${r.workload}: seconds from the first POST until the queue was empty (writer invocations failed or timed out per run); then until the stream-fed functions (live broadcaster, sightings folder) had read every record, waited for before the next run | ${r.drained.map((d) => (Number.isFinite(d) ? d.toFixed(1) : `not empty ${options.drainLimitSeconds} s after the counts`)).join(', ')} (${r.failures.join(', ')}); ${r.streamsIdle.map((d) => d.toFixed(1)).join(', ')} |  |  |  |  |`,
  ]).concat(
    `| 8 hot items | DynamoDB Local, items/s written by TransactWriteItems (100 updates) and by UpdateItem (one item), ${options.rawConcurrency} requests in flight | ${show(measure(report.costs.transactUpdate))} and ${show(measure(report.costs.singleUpdate))} | ${show(measure(report.costs.batchPut))} BatchWriteItem (25 layer items) | ${(measure(report.costs.transactUpdate).median / measure(report.costs.batchPut).median).toFixed(2)} and ${(measure(report.costs.singleUpdate).median / measure(report.costs.batchPut).median).toFixed(2)} |  |  |`,
    ...deviceItemRows(report, options),
    `| 8 hot items | warm-up before the workloads, not measured: rounds of ${(WARM_UP_POSTS * options.perRequest).toLocaleString('en-US')} of (c)'s packets end to end and raw, until a round's end-to-end rate was within ${WARM_UP_SETTLED * 100}% of the last (at least ${WARM_UP_MIN_ROUNDS}), packets/s | ${Math.round(report.warmUp.first)} in the first round, ${Math.round(report.warmUp.last)} in the last (${report.warmUp.rounds} rounds) |  |  |  |  |`,
  );
}

/**
 * What (b)'s device items cost DynamoDB Local beside layer items, and the most (b) could reach
 * against the layers' ceiling at those rates if a packet cost its layer items and device items
 * and nothing else (no transaction, queue, function or stream reader).
 */
function deviceItemRows({ costs, deviceItemsPerPacket: devices }: HotItemsReport, options: HotItemsOptions): string[] {
  const [layer, device] = [measure(costs.batchPut).median, measure(costs.deviceBatchPut).median];
  const layers = layersPerPacket(newPairPerPacket);
  const bound = layers / layer / (layers / layer + devices / device);
  return [
    `| 8 hot items | DynamoDB Local, items/s written by BatchWriteItem of (b)'s device items (a sighting and an index entry per new MAC, 25 a request) into the devices table, whose stream gets a record per item, ${options.rawConcurrency} requests in flight | ${show(measure(costs.deviceBatchPut))} | ${show(measure(costs.batchPut))} BatchWriteItem (25 layer items; the packets table has no stream) | ${(device / layer).toFixed(2)} |  |  |`,
    `| 8 hot items | (b) new MAC pair per packet: the most end to end could reach at these rates, each packet costing its ${layers} layer items and ${devices} device items and nothing else, against the layers' ceiling | ${bound.toFixed(2)} |  |  |  |  |`,
  ];
}

if (isEntryPoint(import.meta.url)) {
  // Before any SDK client exists: the clients are metered from their creation.
  process.env.NETINGEST_METER_USAGE = 'true';
  await runSectionAlone(async (endpoints) => hotItemsRows(await hotItemsRun(endpoints, 'bench-key')));
}
