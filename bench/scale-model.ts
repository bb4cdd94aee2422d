// Scale model of the packet path on AWS (POST /packets -> SQS -> packets writer -> DynamoDB) at
// 10,000 and 100,000 packets/s from one site. Pure computation, no AWS calls: the code's own
// functions shape messages and transactions, settings come from serverless.yml and the sources,
// and a seeded Monte Carlo times the writers' transactions against each other.
// Run: node bench/scale-model.ts (Node 24). Prints markdown; docs/scale-model.md quotes it.
import { readFileSync, readdirSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_MAX_MESSAGE_BYTES, packRecords, parseEnvelope } from '../functions/shared/queue-envelope.ts';
import { itemId, MAX_ACTIONS, mergeUpdates, planTransactions, type CounterUpdate, type IdempotentUnit } from '../functions/shared/exactly-once.ts';
import { MAX_PACKETS_PER_REQUEST, parsePackets, type Packet } from '../functions/packets/packet-schema.ts';
import { countUnit, layerItems, packetTimestamp } from '../functions/packets/storage.ts';
import { packetDevices } from '../functions/packets/device-sightings.ts';

const text = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const yaml: unknown = parseYaml(text('serverless.yml'));
const child = (node: unknown, key: string): unknown => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined);
const setting = (path: string) => Number(path.split('.').reduce(child, yaml));
/** A numeric constant of a source file, so that the model follows the code when it changes. */
function constantIn(file: string, pattern: RegExp): number {
  const match = pattern.exec(text(file))?.[1];
  if (match === undefined) throw new Error(`${pattern} not found in ${file}`);
  return Number(match.replaceAll('_', ''));
}
const BATCH_SIZE = setting('functions.packetsWriter.events.0.sqs.batchSize');
const BATCH_WINDOW_S = setting('functions.packetsWriter.events.0.sqs.maximumBatchingWindow');
const PACKET_SHARDS = setting('provider.environment.PACKET_SHARDS');
const COUNTER_SHARDS = setting('provider.environment.PACKET_COUNTER_SHARDS');
const MEMORY_MB = setting('provider.memorySize');
const WRITER_TIMEOUT_S = setting('custom.writerTimeout');
const API_RATE_LIMIT = setting('custom.throttle.rate');
const PARALLEL_PUTS = constantIn('functions/packets/writer.ts', /const PARALLEL_PUTS = (\d+)/);
const PARALLEL_DEVICE_PUTS = constantIn('functions/packets/writer.ts', /const PARALLEL_DEVICE_PUTS = (\d+)/);
const DEVICE_INDEX_SHARDS = constantIn('functions/devices/storage.ts', /const DEVICE_INDEX_SHARDS = (\d+)/);
/** A `${env:NAME, 'default'}` setting of serverless.yml: its default. */
const defaultOf = (path: string) => Number(/'(\d+)'/.exec(String(path.split('.').reduce(child, yaml)))?.[1]);
const SIGHTING_FOLD_AFTER = defaultOf('functions.devicesFolder.environment.SIGHTING_FOLD_AFTER');
const SIGHTING_FOLD_CHECK_EVERY = defaultOf('functions.devicesFolder.environment.SIGHTING_FOLD_CHECK_EVERY');
const PARALLEL_TRANSACTIONS = constantIn('functions/packets/writer.ts', /const PARALLEL_TRANSACTIONS = (\d+)/);
const CHUNK_MESSAGES = constantIn('functions/packets/writer.ts', /const CHUNK_MESSAGES = (\d+)/);
const CHUNK_BODY_BYTES = constantIn('functions/packets/writer.ts', /const CHUNK_BODY_BYTES = (\d+) \* 1024/) * 1024;
const ATTEMPTS = constantIn('functions/shared/exactly-once.ts', /const ATTEMPTS = (\d+)/);
const WRITE_CHUNK = constantIn('functions/shared/batch-writer.ts', /const WRITE_CHUNK = (\d+)/);
const BACKOFF_BASE_MS = constantIn('functions/shared/retry.ts', /baseMs = (\d+)/);
const BACKOFF_CAP_MS = constantIn('functions/shared/retry.ts', /capMs = ([\d_]+)/);
const SEND_BATCH_ENTRIES = constantIn('functions/shared/queue-publisher.ts', /const MAX_ENTRIES_PER_BATCH = (\d+)/);
const SEND_BATCH_BYTES = constantIn('functions/shared/queue-publisher.ts', /'SQS_MAX_BATCH_BYTES', ([\d_]+)/);
// Table names as serverless.yml makes them (${prefix}-...): a message's oversized update list is split in item-id order, table first.
const [COUNTS_TABLE, DEVICES_TABLE] = ['netingest-prod-packet-counts', 'netingest-prod-devices'];

// AWS limits (docs linked in docs/scale-model.md).
const PARTITION_WCU = 1_000; // write units per second and partition
const PARTITION_RCU = 3_000; // read units per second and partition
const INVOKE_PAYLOAD_BYTES = 6 * 1024 * 1024; // an SQS batch is cut at Lambda's 6 MB synchronous payload
const MIN_POLLERS = 5; // the SQS event source starts with five concurrent batches
const SQS_BILLING_CHUNK = 64 * 1024; // SQS bills each 64 KB of a request's payload as one request
// Assumptions: each a guess to replace with measurements on AWS.
const HEADROOM = 0.8; // shards are sized to keep a partition at or below 80% of its ceiling
const ROUND_TRIP_MS = 8; // one DynamoDB request inside the region, before per-item work
const ITEM_WRITE_MS = 0.4; // added per item a request writes; a transaction writes each item twice (prepare, commit)
// bench/results.md section 4: parse + validate + pack at 167,877 packets/s on one core; 512 MB is 512/1,769 of a vCPU.
const CPU_MS_PER_PACKET = (1_000 / 167_877) * (1_769 / MEMORY_MB);
const RECORD_OVERHEAD_BYTES = 1_024; // what an SQS record adds to the Lambda event besides its body
const DELETE_BATCH = 10; // the pollers delete handled messages ten at a time (DeleteMessageBatch's limit)
const SMALL_ITEM_KB = 1; // markers, counters and device count items stay far below 1 KB
const PRICE = { wruPerMillion: 0.625, rruPerMillion: 0.125, sqsPerMillion: 0.4 }; // us-east-1 on-demand list prices, USD
const PROPOSED_COUNTER_SHARDS = 16;
const RATES = [10_000, 100_000];
const SIM = { seed: 0x5ca1e, transactions: 40_000, minSeconds: 10, maxSeconds: 3_600, warmupSeconds: 5 };

// Seeded rather than Math.random, so that every run prints the same numbers.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const range = (first: number, count: number) => Array.from({ length: count }, (_, k) => first + k);

// Workloads.
const tcpSample = JSON.parse(text('events/packets/tcp-ipv4.json')) as Packet;
const samples = readdirSync(new URL('../events/packets/', import.meta.url))
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(text(`events/packets/${f}`)) as Packet);
const localMac = (n: number) => `02:${n.toString(16).padStart(10, '0').replace(/(..)(?!$)/g, '$1:')}`;
/** A four-layer packet (AF_Packet, Packet_802_3, IPv4, TCP) between two MACs, like events/packets/tcp-ipv4.json. */
const tcpPacket = (i: number, from: string, to: string): Packet => ({
  ...tcpSample,
  Packet_802_3: { ...tcpSample.Packet_802_3, Source_MAC: from, Destination_MAC: to },
  IPv4: { ...tcpSample.IPv4, Identification: i % 65_536 },
  TCP: { ...tcpSample.TCP, Destination_Port: 40_000 + (i % 20_000) },
  AF_Packet: { ...tcpSample.AF_Packet, Hardware_Physical_Address: from },
  Info: { ...tcpSample.Info, Sniffed_Timestamp: 1_800_000_000 + i / 1_000 },
});
const [HOST, PEER] = ['00:15:5d:3c:5f:b2', '00:15:5d:44:43:68'];
/**
 * newDevices: every device is new. In (b) each is met in passing (one packet), so the writer
 * puts its index entry beside its sighting, and it is never folded (one sighting each); in
 * (a) and (c) the devices are busy in every message, so counted in the transactions.
 */
const WORKLOADS: { name: string; newDevices: boolean; packets: (first: number, count: number) => Packet[] }[] = [
  { name: '(a) one host pair', newDevices: false, packets: (f, n) => range(f, n).map((i) => (i % 2 === 0 ? tcpPacket(i, HOST, PEER) : tcpPacket(i, PEER, HOST))) },
  { name: '(b) new MAC pair per packet', newDevices: true, packets: (f, n) => range(f, n).map((i) => tcpPacket(i, localMac(2 * i), localMac(2 * i + 1))) },
  { name: '(c) the ten samples', newDevices: false, packets: (f, n) => range(f, n).map((i) => samples[i % samples.length] as Packet) },
];
type Workload = (typeof WORKLOADS)[number];

/** The bytes of each SendMessageBatch for one POST's messages, grouped as queue-publisher.ts groups them. */
function sendBatches(bodies: readonly string[]): number[] {
  const batches: number[][] = [];
  for (const size of bodies.map((b) => Buffer.byteLength(b))) {
    const last = batches.at(-1);
    if (last === undefined || last.length === SEND_BATCH_ENTRIES || sum(last) + size > SEND_BATCH_BYTES) batches.push([size]);
    else last.push(size);
  }
  return batches.map(sum);
}
/** Write units of an item: its JSON text is an upper bound on DynamoDB's item size (names and values, without the quotes and braces). */
const itemWru = (item: object) => Math.ceil(Buffer.byteLength(JSON.stringify(item)) / 1024);

/** An item other writers name too (a protocol's count, a device seen in every message): its key on each shard. */
type HotItem = string[];
/** partitions: the partition of every item written besides markers, `#*` where the shard is in the partition key. */
type Transaction = { actions: number; hot: HotItem[]; partitions: string[] };
const MAX_SHARDS = Math.max(COUNTER_SHARDS, PROPOSED_COUNTER_SHARDS);
const placed = (u: CounterUpdate): HotItem =>
  range(0, MAX_SHARDS).map((shard) => {
    const on = (attribute: string) => (u.key[attribute] === undefined ? '' : `${u.key[attribute]}${u.shardAttribute === attribute ? `#${shard}` : ''}`);
    return `${u.table}|${on('pk')}|${on('sk')}`;
  });
function readMessage(body: string) {
  const envelope = parseEnvelope(body, 'packets');
  const packets = envelope.records as Packet[];
  const items = layerItems(envelope, packets, PACKET_SHARDS);
  const sightings = packets.map((packet) => ({ packet, timestamp: packetTimestamp(packet, envelope.receivedAt) }));
  const counts = countUnit(envelope, packets, COUNTS_TABLE);
  const devices = packetDevices(DEVICES_TABLE, envelope.ingestId, sightings);
  const unit: IdempotentUnit = { id: counts.id, updates: [...counts.updates, ...devices.updates] };
  return {
    packets: packets.length, layerItems: items.length, layerWru: sum(items.map(itemWru)), protocols: items.map((i) => i.protocol), unit,
    sightings: devices.sightings.length, sightingWru: sum(devices.sightings.map(itemWru)),
  };
}
type Message = ReturnType<typeof readMessage>;

/** What a workload's messages look like, from POSTs of MAX_PACKETS_PER_REQUEST packets packed as ingest packs them. */
function shapeOf(workload: Workload) {
  const posts: string[][] = [];
  while (posts.flat().length < CHUNK_MESSAGES) {
    const post = posts.length;
    const packets = parsePackets(workload.packets(post * MAX_PACKETS_PER_REQUEST, MAX_PACKETS_PER_REQUEST));
    let n = 0;
    const newId = () => `00000000-0000-4000-8000-${String(post * 100 + n++).padStart(12, '0')}`; // as long as a random UUID, but the same every run
    posts.push(packRecords('packets', packets, { receivedAt: 1_800_000_000_000, newId, maxBytes: DEFAULT_MAX_MESSAGE_BYTES }).map((m) => m.body));
  }
  const firstPost = posts[0] ?? [];
  const bodies = posts.flat().slice(0, CHUNK_MESSAGES);
  const messages: Message[] = bodies.map(readMessage);
  const namedBy = new Map<string, number>();
  for (const m of messages) for (const id of new Set(m.unit.updates.map(itemId))) namedBy.set(id, (namedBy.get(id) ?? 0) + 1);
  const cache = new Map<number, Transaction[]>();
  /** The transactions of a chunk of its first k messages. */
  const plan = (k: number): Transaction[] => {
    const cached = cache.get(k);
    if (cached !== undefined) return cached;
    const planned = planTransactions(messages.slice(0, k).map((m) => m.unit)).map((group) => {
      const merged = mergeUpdates(group.flatMap((u) => u.updates));
      const created = workload.newDevices ? sum(merged.map((u) => u.onCreate?.length ?? 0)) : 0;
      const written = [...merged, ...(workload.newDevices ? merged.flatMap((u) => u.onCreate ?? []) : [])];
      const partitions = written.map((u) => `${u.key.pk}${u.shardAttribute === 'pk' ? '#*' : ''} (${u.table.replace('netingest-prod-', '')})`);
      return { actions: group.length + merged.length + created, hot: merged.filter((u) => (namedBy.get(itemId(u)) ?? 0) > 1).map(placed), partitions };
    });
    cache.set(k, planned);
    return planned;
  };
  const packets = sum(messages.map((m) => m.packets));
  const messageBytes = sum(bodies.map((b) => Buffer.byteLength(b))) / bodies.length;
  // Messages put together, as nextChunk cuts a batch: as many bodies as CHUNK_BODY_BYTES holds, at least one.
  const messagesPerChunk = Math.max(1, Math.min(CHUNK_MESSAGES, Math.floor(CHUNK_BODY_BYTES / messageBytes)));
  const eventBytes = sum(bodies.map((b) => JSON.stringify(b).length + RECORD_OVERHEAD_BYTES)) / bodies.length;
  const byProtocol = new Map<string, number>();
  for (const p of messages.flatMap((m) => m.protocols)) byProtocol.set(p, (byProtocol.get(p) ?? 0) + 1);
  const [hottestLayer, hottestCount] = [...byProtocol].sort((x, y) => y[1] - x[1])[0] ?? ['', 0];
  return {
    messages, plan, hottestLayer, messageBytes, messagesPerChunk,
    hottestLayerShare: hottestCount / packets,
    packetsPerMessage: packets / messages.length,
    messagesPerPost: firstPost.length,
    sendBatchesPerPost: sendBatches(firstPost).length,
    // Send: each SendMessageBatch's 64 KB chunks; receive: each message's; delete: one call per ten messages.
    sqsRequestsPerMessage:
      sum(sendBatches(firstPost).map((b) => Math.ceil(b / SQS_BILLING_CHUNK))) / firstPost.length + Math.ceil(messageBytes / SQS_BILLING_CHUNK) + 1 / DELETE_BATCH,
    maxBatch: Math.min(BATCH_SIZE, Math.floor(INVOKE_PAYLOAD_BYTES / eventBytes)),
    layerWruPerPacket: sum(messages.map((m) => m.layerWru)) / packets,
    wruPerLayerItem: sum(messages.map((m) => m.layerWru)) / sum(messages.map((m) => m.layerItems)),
    transactionWruPerPacket: (2 * SMALL_ITEM_KB * sum(plan(CHUNK_MESSAGES).map((t) => t.actions))) / packets,
    ...devicesOf(workload, messages, packets),
  };
}
type Shape = ReturnType<typeof shapeOf>;

/** Actions a fold transaction gives each sighting (its marker and its delete), besides the folded item's one update. */
const FOLD_PER_TRANSACTION = Math.floor((MAX_ACTIONS - 1) / 2);
/**
 * The device side of a workload. The writer puts a sighting per device and message, and an
 * index entry for each device new to it. devicesFolder folds a device's sightings once
 * SIGHTING_FOLD_AFTER are pending, found on one new sighting in SIGHTING_FOLD_CHECK_EVERY,
 * so about that many more on average: per sighting its marker and delete in a transaction
 * (2 WRU each) and a share of the folded item's update; reads are the checks' queries and
 * each fold's query and GetItem (consistent, one unit each for items this small). A device
 * seen once (b) is never folded.
 */
function devicesOf(workload: Workload, messages: readonly Message[], packets: number) {
  const sightings = sum(messages.map((m) => m.sightings));
  const indexEntries = workload.newDevices ? sightings : 0;
  const perFold = SIGHTING_FOLD_AFTER + (SIGHTING_FOLD_CHECK_EVERY - 1) / 2;
  const folded = workload.newDevices ? 0 : sightings;
  const foldWru = folded * 2 * SMALL_ITEM_KB * (2 + Math.ceil(perFold / FOLD_PER_TRANSACTION) / perFold);
  const folderRru = sightings / SIGHTING_FOLD_CHECK_EVERY + (folded / perFold) * (1 + Math.ceil(perFold / FOLD_PER_TRANSACTION));
  return {
    sightingsPerMessage: sightings / messages.length,
    devicePutsPerMessage: (sightings + indexEntries) / messages.length,
    devicePutWruPerPacket: (sum(messages.map((m) => m.sightingWru)) + indexEntries * SMALL_ITEM_KB) / packets,
    newDevicesPerPacket: indexEntries / packets,
    /** Sightings per packet of the device sighted most (its partition's puts): one per message, or one in all for a device seen once. */
    busiestDevicePerPacket: sightings === 0 ? 0 : workload.newDevices ? 1 / packets : messages.length / packets,
    foldWruPerPacket: foldWru / packets,
    folderRruPerPacket: folderRru / packets,
  };
}

// Timing of one invocation, from the per-item write latency assumed above.
const batchWriteMs = ROUND_TRIP_MS + WRITE_CHUNK * ITEM_WRITE_MS;
const transactionMs = (actions: number) => ROUND_TRIP_MS + 2 * actions * ITEM_WRITE_MS;
const chunkSizes = (batch: number, perChunk: number) => range(0, Math.ceil(batch / perChunk)).map((i) => Math.min(perChunk, batch - i * perChunk));
/**
 * The puts of a group of k messages, a put chunk (shape.messagesPerChunk messages) after
 * another: CPU for the chunk's packets, then layer items (PARALLEL_PUTS requests at a time)
 * beside device sightings and index entries (PARALLEL_DEVICE_PUTS), WRITE_CHUNK to a request.
 */
function layerPhaseMs(shape: Shape, k: number): number {
  return sum(chunkSizes(k, shape.messagesPerChunk).map((size, i) => {
    const chunk = shape.messages.slice(i * shape.messagesPerChunk, i * shape.messagesPerChunk + size);
    const layerRequests = Math.ceil(sum(chunk.map((m) => m.layerItems)) / WRITE_CHUNK);
    const deviceRequests = Math.ceil((size * shape.devicePutsPerMessage) / WRITE_CHUNK);
    const rounds = Math.max(Math.ceil(layerRequests / PARALLEL_PUTS), Math.ceil(deviceRequests / PARALLEL_DEVICE_PUTS));
    return sum(chunk.map((m) => m.packets)) * CPU_MS_PER_PACKET + rounds * batchWriteMs;
  }));
}
/**
 * A batch's groups of CHUNK_MESSAGES as the writer runs them: a group's transactions start
 * once its puts and the group before's transactions are done, and the next group's puts
 * start with them.
 */
function invocationMs(shape: Shape, batch: number, lanes: number): number {
  const chunks = chunkSizes(batch, CHUNK_MESSAGES);
  let [putsEnd, countsEnd] = [layerPhaseMs(shape, chunks[0] ?? 0), 0];
  for (const [i, k] of chunks.entries()) {
    const times = shape.plan(k).map((t) => transactionMs(t.actions));
    const start = Math.max(putsEnd, countsEnd);
    countsEnd = start + Math.max(0, ...times, sum(times) / lanes);
    putsEnd = start + layerPhaseMs(shape, chunks[i + 1] ?? 0);
  }
  return Math.max(putsEnd, countsEnd);
}
/**
 * The SQS event source in steady state: a poller's batch closes when full (batchSize or 6 MB) or
 * when the window ends, then the poller invokes and waits, so with P pollers a batch holds about
 * rate x (window + duration) / P messages. Pollers stay at five unless five cannot keep up.
 */
function flowOf(shape: Shape, packetsPerSecond: number) {
  const lanes = Math.min(PARALLEL_TRANSACTIONS, COUNTER_SHARDS);
  const posts = packetsPerSecond / MAX_PACKETS_PER_REQUEST;
  const messages = posts * shape.messagesPerPost;
  const pollers = Math.max(MIN_POLLERS, Math.ceil((messages * invocationMs(shape, shape.maxBatch, lanes)) / 1_000 / shape.maxBatch));
  let batch = shape.maxBatch;
  for (let i = 0; i < 30; i++) {
    batch = Math.min(shape.maxBatch, Math.max(1, Math.round((messages * (BATCH_WINDOW_S + invocationMs(shape, batch, lanes) / 1_000)) / pollers)));
  }
  const [durationMs, invocations] = [invocationMs(shape, batch, lanes), messages / batch];
  return { posts, messages, sendBatches: posts * shape.sendBatchesPerPost, pollers, batch, invocations, durationMs, concurrency: (invocations * durationMs) / 1_000 };
}
type Flow = ReturnType<typeof flowOf>;
/** The partition the transactions write most, in writes/s (a partition key with the shard in it spreads over `shards`). */
function hottestPartition(shape: Shape, flow: Flow, shards: number): { partition: string; writes: number } {
  const writes = new Map<string, number>();
  for (const p of chunkSizes(flow.batch, CHUNK_MESSAGES).flatMap((k) => shape.plan(k).flatMap((t) => t.partitions))) {
    writes.set(p, (writes.get(p) ?? 0) + (p.includes('#* ') ? 1 / shards : 1));
  }
  const [partition, perInvocation] = [...writes].sort((a, b) => b[1] - a[1])[0] ?? ['', 0];
  return { partition: partition.replace('#* ', shards === 1 ? ' ' : `#0-${shards - 1} `), writes: perInvocation * flow.invocations };
}

type Invocation = { arrived: number; start: number; chunk: number; next: number; running: number; freeAt: number[]; putsEnd: number };
/** A transaction attempt, or (txn undefined) a lane handing its shard back when its transaction is over. */
type Event = { at: number; inv: Invocation; txn: Transaction | undefined; shard: number; attempt: number; counted: boolean };
/**
 * Monte Carlo over concurrent writer invocations: batches arrive as a Poisson process; each runs
 * its chunks in turn, a chunk's layer phase then its transactions on PARALLEL_TRANSACTIONS lanes,
 * each lane holding a shard as ShardLeases hands them out (from the environment's random start).
 * An attempt naming an item that another transaction holds meets TransactionConflict: it moves
 * to another free shard and retries after the code's backoff, at most ATTEMPTS times.
 */
function simulate(shape: Shape, flow: Flow, shards: number, random: () => number) {
  const lanes = Math.min(PARALLEL_TRANSACTIONS, shards);
  const chunks = chunkSizes(flow.batch, CHUNK_MESSAGES);
  const perInvocation = sum(chunks.map((k) => shape.plan(k).length));
  const from = Math.max(SIM.warmupSeconds, (2 * flow.durationMs) / 1_000) * 1_000; // past the start-up, when no invocation was in flight
  const to = from + Math.min(SIM.maxSeconds, Math.max(SIM.minSeconds, SIM.transactions / (flow.invocations * perInvocation))) * 1_000;
  // Pending events, latest first; only the lanes in flight are pending, so a sorted insert is cheap enough.
  const events: Event[] = [];
  const schedule = (e: Event) => {
    let [lo, hi] = [0, events.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((events[mid] as Event).at > e.at) lo = mid + 1;
      else hi = mid;
    }
    events.splice(lo, 0, e);
  };
  const [heldUntil, itemWrites] = [new Map<string, number>(), new Map<string, number>()];
  const durations: number[] = [];
  let [attempts, conflicts, transactions, exhausted] = [0, 0, 0, 0];
  const acquire = (inv: Invocation, at: number, avoid?: number): number => {
    let shard: number | undefined;
    for (let i = 0; i < shards; i++) {
      const s = (inv.start + i) % shards;
      if ((inv.freeAt[s] ?? 0) <= at && (shard === undefined || (shard === avoid && s !== avoid))) shard = s;
    }
    inv.freeAt[shard ?? inv.start] = Number.POSITIVE_INFINITY;
    return shard ?? inv.start;
  };
  // A group's transactions start once its puts and the group before's are done; the next group's puts start with them.
  const startCounts = (inv: Invocation, at: number): void => {
    [inv.next, inv.putsEnd] = [0, at + layerPhaseMs(shape, chunks[inv.chunk + 1] ?? 0)];
    for (let lane = 0; lane < lanes; lane++) launch(inv, at);
  };
  const launch = (inv: Invocation, at: number): void => {
    const txn = shape.plan(chunks[inv.chunk] ?? 0)[inv.next];
    if (txn !== undefined) {
      [inv.next, inv.running] = [inv.next + 1, inv.running + 1];
      schedule({ at, inv, txn, shard: acquire(inv, at), attempt: 0, counted: at >= from && at < to });
    } else if (inv.running === 0 && ++inv.chunk < chunks.length) startCounts(inv, Math.max(at, inv.putsEnd));
    else if (inv.running === 0 && inv.arrived >= from && inv.arrived < to) durations.push(at - inv.arrived);
  };
  for (let arrival = 0; ; ) {
    const e = events.at(-1);
    if (arrival < to && (e === undefined || arrival <= e.at)) {
      // Batches arrive as a Poisson process, each in an environment whose ShardLeases start at a random shard.
      startCounts({ arrived: arrival, start: Math.floor(random() * shards), chunk: 0, next: 0, running: 0, freeAt: [], putsEnd: 0 }, arrival + layerPhaseMs(shape, chunks[0] ?? 0));
      arrival += (-Math.log(1 - random()) / flow.invocations) * 1_000;
      continue;
    }
    if (e === undefined) break;
    events.pop();
    const { inv, txn, shard, at } = e;
    if (txn === undefined) {
      [inv.freeAt[shard], inv.running] = [at, inv.running - 1];
      launch(inv, at);
      continue;
    }
    const held = txn.hot.map((h) => h[shard] ?? '');
    const count = e.counted ? 1 : 0;
    attempts += count;
    if (held.some((item) => (heldUntil.get(item) ?? 0) > at)) {
      conflicts += count;
      if (e.attempt + 1 >= ATTEMPTS) {
        [transactions, exhausted] = [transactions + count, exhausted + count];
        schedule({ ...e, at: at + ROUND_TRIP_MS, txn: undefined });
      } else {
        inv.freeAt[shard] = at;
        const backoff = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** e.attempt);
        schedule({ ...e, at: at + ROUND_TRIP_MS + backoff, shard: acquire(inv, at, shard), attempt: e.attempt + 1 });
      }
      continue;
    }
    const done = at + transactionMs(txn.actions);
    transactions += count;
    for (const item of held) {
      heldUntil.set(item, done);
      itemWrites.set(item, (itemWrites.get(item) ?? 0) + count);
    }
    schedule({ ...e, at: done, txn: undefined });
  }
  const seconds = (to - from) / 1_000;
  return {
    transactions: transactions / seconds,
    perAttempt: conflicts / Math.max(1, attempts),
    retries: conflicts / Math.max(1, transactions),
    exhausted: exhausted / Math.max(1, transactions),
    hotItemWps: Math.max(0, ...itemWrites.values()) / seconds,
    invocationMs: sum(durations) / Math.max(1, durations.length),
  };
}

// Report.
const num = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (p: number) => (p === 0 ? '0%' : p < 0.001 ? '<0.1%' : `${(100 * p).toFixed(1)}%`);
const seconds = (ms: number) => `${num(ms / 1_000, 2)} s${ms > WRITER_TIMEOUT_S * 1_000 ? ' (over the timeout)' : ''}`;
const table = (head: string[], rows: string[][]) => [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
const out: string[] = [];
const print = (...blocks: string[]) => out.push(...blocks.flatMap((block) => [block, '']));
const shapes = WORKLOADS.map((workload) => ({ workload, shape: shapeOf(workload) }));

print(
  `Read from the code: batchSize ${BATCH_SIZE}, maximumBatchingWindow ${BATCH_WINDOW_S} s, ${MEMORY_MB} MB, timeout ${WRITER_TIMEOUT_S} s, ` +
    `PACKET_SHARDS ${PACKET_SHARDS}, PACKET_COUNTER_SHARDS ${COUNTER_SHARDS}, API rate limit ${API_RATE_LIMIT}/s, ${num(MAX_PACKETS_PER_REQUEST)} packets per POST, ` +
    `${num(DEFAULT_MAX_MESSAGE_BYTES)} bytes per message, SendMessageBatch of ${SEND_BATCH_ENTRIES} / ${num(SEND_BATCH_BYTES)} bytes, ` +
    `puts in chunks of at most ${num(CHUNK_BODY_BYTES)} bytes of bodies, counts in groups of ${CHUNK_MESSAGES} messages, ${PARALLEL_PUTS} layer puts, ${PARALLEL_DEVICE_PUTS} device puts and ${PARALLEL_TRANSACTIONS} transactions in flight, ` +
    `${MAX_ACTIONS} actions per transaction, ${ATTEMPTS} attempts, DEVICE_INDEX_SHARDS ${DEVICE_INDEX_SHARDS}, ` +
    `SIGHTING_FOLD_AFTER ${SIGHTING_FOLD_AFTER}, SIGHTING_FOLD_CHECK_EVERY ${SIGHTING_FOLD_CHECK_EVERY}.`,
  `Assumed: ${ROUND_TRIP_MS} ms per DynamoDB request plus ${ITEM_WRITE_MS} ms per item written (twice per item in a transaction), ` +
    `so a BatchWriteItem of ${WRITE_CHUNK} takes ${num(batchWriteMs, 1)} ms and a transaction of 16 / ${MAX_ACTIONS} actions ` +
    `${num(transactionMs(16), 1)} / ${num(transactionMs(MAX_ACTIONS), 1)} ms; CPU ${num(CPU_MS_PER_PACKET * 1_000)} µs per packet at ${MEMORY_MB} MB.`,
  '### Messages and transactions per workload (the same at every rate)',
  table(
    ['workload', 'packets/message', 'bytes/message', 'messages/POST', 'SendMessageBatch/POST', 'messages/batch (6 MB cap)', 'layer WRU/packet']
      .concat(['device sightings/message', 'device puts/message', 'messages/put chunk', `transactions per ${CHUNK_MESSAGES}-message group`, 'actions/transaction']),
    shapes.map(({ workload, shape: s }) => {
      const chunk = s.plan(CHUNK_MESSAGES);
      const actions = sum(chunk.map((t) => t.actions)) / chunk.length;
      return [workload.name, num(s.packetsPerMessage, 1), num(s.messageBytes), num(s.messagesPerPost), num(s.sendBatchesPerPost), num(s.maxBatch)]
        .concat([num(s.layerWruPerPacket, 2), num(s.sightingsPerMessage, 1), num(s.devicePutsPerMessage, 1), num(s.messagesPerChunk), num(chunk.length), num(actions, 1)]);
    }),
  ),
);

const designs = [
  { name: 'naive (1 item)', shards: 1 },
  { name: `current (${COUNTER_SHARDS} shards)`, shards: COUNTER_SHARDS },
  { name: `${PROPOSED_COUNTER_SHARDS} shards`, shards: PROPOSED_COUNTER_SHARDS },
];
const wcu = (writes: number) => num(2 * SMALL_ITEM_KB * writes);
let seed = SIM.seed;
for (const rate of RATES) {
  const flows = shapes.map(({ workload, shape }) => ({ workload, shape, flow: flowOf(shape, rate) }));
  const lambdaHead = ['workload', `POST/s (limit ${API_RATE_LIMIT})`, 'SQS messages/s', 'SendMessageBatch/s', 'pollers', 'messages/batch', 'invocations/s']
    .concat(['invocation duration', 'concurrency']);
  const dynamoHead = ['workload', 'hottest layer partition WCU/s', `PACKET_SHARDS for <= ${HEADROOM * 100}%`, 'device index partition WCU/s', 'busiest device partition WCU/s']
    .concat(['counter design', 'transactions/s', 'hottest item writes/s (WCU/s)', 'hottest transactional partition WCU/s', 'P(conflict) per attempt', 'retries per transaction'])
    .concat([`failed after ${ATTEMPTS} attempts`, 'simulated invocation time']);
  print(
    `### ${num(rate)} packets/s: SQS and Lambda`,
    table(lambdaHead, flows.map(({ workload, flow: f }) => [workload.name, num(f.posts), num(f.messages, 1), num(f.sendBatches), num(f.pollers), num(f.batch)]
      .concat([num(f.invocations, 1), seconds(f.durationMs), num(f.concurrency, 1)]))),
    `### ${num(rate)} packets/s: DynamoDB partitions (ceiling ${num(PARTITION_WCU)} WCU/s) and transaction conflicts`,
    table(dynamoHead, flows.flatMap(({ workload, shape, flow }) => {
      const layerWcu = (rate * shape.hottestLayerShare * shape.wruPerLayerItem) / PACKET_SHARDS;
      const shardsNeeded = Math.ceil((layerWcu * PACKET_SHARDS) / (PARTITION_WCU * HEADROOM));
      return designs.map((design, i) => {
        const c = simulate(shape, flow, design.shards, mulberry32(seed++));
        const hot = hottestPartition(shape, flow, design.shards);
        // Index entries spread over DEVICE_INDEX_SHARDS by MAC; a device's partition takes its sightings and their folds.
        const indexWcu = (rate * shape.newDevicesPerPacket * SMALL_ITEM_KB) / DEVICE_INDEX_SHARDS;
        const foldWruPerSighting = shape.sightingsPerMessage === 0 ? 0 : shape.foldWruPerPacket * (shape.packetsPerMessage / shape.sightingsPerMessage);
        const deviceWcu = rate * shape.busiestDevicePerPacket * (SMALL_ITEM_KB + foldWruPerSighting);
        const first = i === 0 ? [workload.name, `${num(layerWcu)} (${shape.hottestLayer})`, num(shardsNeeded), num(indexWcu), num(deviceWcu, 1)] : ['', '', '', '', ''];
        return [...first, design.name, num(c.transactions, 1), `${num(c.hotItemWps, 1)} (${wcu(c.hotItemWps)})`, `${wcu(hot.writes)}: ${hot.partition}`]
          .concat([pct(c.perAttempt), num(c.retries, 3), pct(c.exhausted), seconds(c.invocationMs)]);
      });
    })),
  );
}

print(
  '### Request units and dollars per million packets (us-east-1 on-demand list prices)',
  table(['workload', 'WRU layers', 'WRU device puts', 'WRU count transactions', 'WRU folds', 'RRU (folder)', 'SQS requests', 'DynamoDB $', 'SQS $', 'total $', '$/hour at 10k / 100k packets/s'], shapes.map(({ workload, shape }) => {
    const [layers, devices, txns, folds] = [shape.layerWruPerPacket, shape.devicePutWruPerPacket, shape.transactionWruPerPacket, shape.foldWruPerPacket].map((n) => n * 1e6) as [number, number, number, number];
    const rru = shape.folderRruPerPacket * 1e6;
    const sqs = (shape.sqsRequestsPerMessage / shape.packetsPerMessage) * 1e6;
    const [dynamo, queue] = [((layers + devices + txns + folds) / 1e6) * PRICE.wruPerMillion + (rru / 1e6) * PRICE.rruPerMillion, (sqs / 1e6) * PRICE.sqsPerMillion];
    const hourly = RATES.map((rate) => `$${num(((dynamo + queue) * rate * 3_600) / 1e6)}`).join(' / ');
    return [workload.name, num(layers), num(devices), num(txns), num(folds), num(rru), num(sqs), num(dynamo, 3), num(queue, 4), num(dynamo + queue, 3), hourly];
  })),
  `Prices: $${PRICE.wruPerMillion} per million write request units, $${PRICE.rruPerMillion} per million read request units, ` +
    `$${PRICE.sqsPerMillion.toFixed(2)} per million SQS requests. The packets writer reads nothing; the folder's reads are its checks and folds. ` +
    `The ${num(PARTITION_RCU)} RCU/s partition ceiling concerns the query functions. Conflicting attempts are not charged here; Lambda, API Gateway and storage are left out.`,
);
console.log(out.join('\n'));
