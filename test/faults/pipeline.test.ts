import { readFileSync, readdirSync } from 'node:fs';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import type { FaultRates } from '../../infra/local/fault-proxy.ts';
import { redriveQueue } from '../../infra/local/redrive-queue.ts';
import { deltaRows, foldMarkerId, pendingPartition } from '../../functions/flows/storage.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import { MAX_TRANSACTION_DEVICES, packetSightings } from '../../functions/packets/device-sightings.ts';
import { PACKET_SIGHTING_PREFIX, foldedSightingsKey } from '../../functions/devices/storage.ts';
import { PROTOCOLS } from '../../functions/packets/protocols.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { TEST_API_KEY, eventually, startTestRuntime } from '../helpers/runtime.ts';

// `npm test` runs a small setting; `npm run test:faults` a large one (FAULT_PACKETS and FAULT_CLIENTS in package.json).
const PACKETS = Number(process.env.FAULT_PACKETS ?? 600);
const CLIENTS = Number(process.env.FAULT_CLIENTS ?? 3);
const PER_REQUEST = 50;
const RATES: FaultRates = {
  throttle: Number(process.env.FAULT_THROTTLE ?? 0.05),
  serverError: Number(process.env.FAULT_SERVER_ERROR ?? 0.03),
  resetBefore: Number(process.env.FAULT_RESET_BEFORE ?? 0.02),
  resetAfter: Number(process.env.FAULT_RESET_AFTER ?? 0.02),
  // Of DynamoDB's BatchWriteItem requests: half their items handed back unprocessed.
  unprocessed: Number(process.env.FAULT_UNPROCESSED ?? 0.2),
  latencyMs: Number(process.env.FAULT_LATENCY_MS ?? 2),
};
const CRASH_RATE = Number(process.env.FAULT_CRASH_RATE ?? 0.15);
const FLOWS = Number(process.env.FAULT_FLOWS ?? 1000);
const NOTIFICATIONS = Number(process.env.FAULT_NOTIFICATIONS ?? 20);
const seedNotification = readFileSync('events/notifications/seed-interfaces.json', 'utf8');

const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
// Seen in one packet of each request: sighted with a put per message and folded under the faults
// (the samples' two hosts, in many packets of each, are counted in the writer's transactions).
const BEACON = '02:be:ac:00:00:01';
// With the beacon, a crowd of devices seen once each makes every request name more than
// MAX_TRANSACTION_DEVICES devices: those it shows in passing are sighted, not transacted.
const CROWD = MAX_TRANSACTION_DEVICES / 2;
function crowdPacket(i: number): Packet {
  const p = structuredClone(beaconPacket) as Record<string, Record<string, unknown>>;
  const mac = (n: number) => `02:c0:${[(n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff].map((b) => b.toString(16).padStart(2, '0')).join(':')}:00`;
  p.Packet_802_3 = { ...p.Packet_802_3, Source_MAC: mac(2 * i), Destination_MAC: mac(2 * i + 1) };
  return p as unknown as Packet;
}
const beaconPacket = ((): Packet => {
  const p = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as Record<string, Record<string, unknown>>;
  p.Packet_802_3 = { ...p.Packet_802_3, Source_MAC: BEACON, Destination_MAC: '02:be:ac:00:00:02' };
  return p as unknown as Packet;
})();
let runtime: LocalRuntime;
// The test's own view of the world bypasses the faults.
const endpoints = inject('endpoints');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const sqs = new SQSClient({ endpoint: endpoints.sqs, region: 'us-east-1', credentials });
const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: endpoints.dynamodb, region: 'us-east-1', credentials }));

beforeAll(async () => {
  runtime = await startTestRuntime({
    faults: { dynamodb: RATES, sqs: RATES, crashRate: CRASH_RATE },
    // The tables' streams feed the folders, under the same faults: every flow delta is folded,
    // and a device's packet sightings as soon as two are pending.
    streamEventSources: true,
    env: { API_KEYS: TEST_API_KEY, POWERTOOLS_METRICS_DISABLED: 'true', FLOW_FOLD_AFTER: '1', SIGHTING_FOLD_AFTER: '2', SIGHTING_FOLD_CHECK_EVERY: '1' },
    // Short, so that failed and crashed batches come back quickly.
    overrides: { visibilityTimeout: 2 },
  });
});
afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
  documents.destroy();
});

/** A client that retries with the same Idempotency-Key until its request is accepted. */
async function postUntilAccepted(body: unknown, key: string, path = '/packets', contentType = 'application/json'): Promise<{ attempts: number }> {
  for (let attempt = 1; attempt <= 60; attempt++) {
    try {
      const response = await fetch(`${runtime.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': contentType, 'x-api-key': TEST_API_KEY, 'idempotency-key': key },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      if (response.status === 202 || response.status === 204) return { attempts: attempt };
      expect(response.status, await response.text()).toBeGreaterThanOrEqual(500);
    } catch {
      // a dropped connection: retry like any client would
    }
    await new Promise((r) => setTimeout(r, 20 * attempt));
  }
  throw new Error(`request ${key} was never accepted`);
}

/** A queue's URL on the emulator itself, not through the fault proxy. */
function directUrl(logicalId: string): string {
  const url = runtime.resources.queues.get(logicalId)?.url as string;
  return new URL(new URL(url).pathname, endpoints.sqs).href;
}

async function storedPacketIds(): Promise<{ distinct: number; items: number }> {
  const table = runtime.resources.tables.get('PacketsTable')?.name as string;
  const ids = new Set<string>();
  let items = 0;
  for (const protocol of PROTOCOLS) {
    for (let shard = 0; shard < 4; shard++) {
      let start: Record<string, unknown> | undefined;
      do {
        const page = await documents.send(
          new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `${protocol}#${shard}` }, ExclusiveStartKey: start }),
        );
        for (const item of page.Items ?? []) {
          ids.add(`${item.packet_id}/${protocol}`);
          items++;
        }
        start = page.LastEvaluatedKey;
      } while (start !== undefined);
    }
  }
  return { distinct: ids.size, items };
}

/**
 * Per hour: the folded sums alone, and with the pending deltas added (a delta whose fold
 * marker exists is a copy put again after its fold, as the query skips it), and how many
 * deltas are still pending.
 */
async function flowSumsStored(hours: number[]): Promise<Map<number, { folded: { tx: number; rx: number }; read: { tx: number; rx: number }; pending: number }>> {
  const table = runtime.resources.tables.get('FlowsTable')?.name as string;
  const markers = runtime.resources.tables.get('IdempotencyTable')?.name as string;
  const sums = new Map<number, { folded: { tx: number; rx: number }; read: { tx: number; rx: number }; pending: number }>();
  for (const hour of hours) {
    const folded = { tx: 0, rx: 0 };
    const read = { tx: 0, rx: 0 };
    let pending = 0;
    for (let shard = 0; shard < 4; shard++) {
      for (const item of await allItems(table, `${hour}#${shard}`)) {
        folded.tx += Number(item.bytes_tx);
        folded.rx += Number(item.bytes_rx);
      }
      for (const delta of await allItems(table, pendingPartition(hour, shard))) {
        const marker = await documents.send(new GetCommand({ TableName: markers, Key: { id: foldMarkerId({ pk: String(delta.pk), sk: String(delta.sk) }) }, ConsistentRead: true }));
        if (marker.Item !== undefined) continue;
        pending++;
        for (const row of deltaRows(String(delta.rows))) {
          read.tx += Number(row.bytes_tx);
          read.rx += Number(row.bytes_rx);
        }
      }
    }
    sums.set(hour, { folded, read: { tx: folded.tx + read.tx, rx: folded.rx + read.rx }, pending });
  }
  return sums;
}

async function allItems(table: string, pk: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** History items of the run's notifications (eventTimes in 2027), and how many distinct ones. */
async function notificationItems(): Promise<{ items: number; distinct: number }> {
  const table = runtime.resources.tables.get('NotificationsTable')?.name as string;
  const times: string[] = [];
  for (let shard = 0; shard < 4; shard++) {
    const page = await documents.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :y)', ExpressionAttributeValues: { ':pk': `notif#${shard}`, ':y': '2027-' } }),
    );
    times.push(...(page.Items ?? []).map((i) => String((i.notification as { eventTime: string }).eventTime)));
  }
  return { items: times.length, distinct: new Set(times).size };
}

/** What each device's view must say once every packet is stored: protocols, first and last seen. */
function expectedDevices(packets: readonly Packet[]): Map<string, { protocols: Record<string, number>; first_seen: string; last_seen: string }> {
  const sightings = packetSightings('all', packets.map((packet) => ({ packet, timestamp: packet.Info?.Sniffed_Timestamp as number })));
  return new Map(
    sightings.map((s) => {
      const protocols = Object.entries(s).filter(([k]) => k.startsWith('packets#')).map(([k, v]): [string, number] => [k.slice('packets#'.length), Number(v)]);
      return [s.mac_address, { protocols: Object.fromEntries(protocols.sort((x, y) => (x[0] < y[0] ? -1 : 1))), first_seen: s.first_seen, last_seen: s.last_seen }];
    }),
  );
}

/** Each device's view over HTTP, as much of it as expectedDevices says. */
async function deviceViews(macs: Iterable<string>): Promise<Map<string, unknown>> {
  const views = new Map<string, unknown>();
  for (const mac of macs) {
    const response = await fetch(`${runtime.url}/devices/${mac}?snapshots=0&applications=0&interfaces=0`, { headers: { 'x-api-key': TEST_API_KEY } });
    const view = response.status === 200 ? ((await response.json()) as { protocols: unknown; first_seen: unknown; last_seen: unknown }) : undefined;
    views.set(mac, view && { protocols: view.protocols, first_seen: view.first_seen, last_seen: view.last_seen });
  }
  return views;
}

/** Sightings still pending on a device, and whether its folded shard exists. */
async function sightingsOf(mac: string): Promise<{ pending: number; folded: boolean }> {
  const table = runtime.resources.tables.get('DevicesTable')?.name as string;
  const key = foldedSightingsKey(mac);
  const pending = (await allItems(table, key.pk)).filter((i) => String(i.sk).startsWith(PACKET_SIGHTING_PREFIX)).length;
  const folded = (await documents.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item !== undefined;
  return { pending, folded };
}

async function counts(): Promise<Record<string, number>> {
  const response = await fetch(`${runtime.url}/packets/tables/all`, { headers: { 'x-api-key': TEST_API_KEY } });
  if (response.status !== 200) return {};
  return (await response.json()) as Record<string, number>;
}

/** Every message in the DLQ, each received once (hidden for a while, then visible again). */
async function peekDeadLetters(dlq = 'PacketsDLQ'): Promise<Message[]> {
  const found = new Map<string, Message>();
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: directUrl(dlq), MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 5 }),
    );
    if (Messages.length === 0 || found.size > 10_000) return [...found.values()];
    for (const m of Messages) found.set(m.MessageId as string, m);
  }
}

async function deadLetters(dlq = 'PacketsDLQ'): Promise<{ reason: string; ingestId: string; body: string }[]> {
  return (await peekDeadLetters(dlq)).map((m) => ({
    body: m.Body ?? '',
    ingestId: String(JSON.parse(m.Body ?? '{}').ingestId),
    reason: m.MessageAttributes?.reason?.StringValue ?? 'moved by the redrive policy after maxReceiveCount receives (no reason recorded: its consumer crashed or outlived the visibility timeout)',
  }));
}

async function inFlight(queue: string): Promise<number> {
  const url = directUrl(queue);
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

describe('the pipeline under injected faults', () => {
  it('stores every accepted record exactly once: none lost, none doubled', { timeout: 600_000 }, async () => {
    const packets = Array.from({ length: PACKETS }, (_, i) => {
      const p = structuredClone(i % PER_REQUEST === 0 ? beaconPacket : i % PER_REQUEST <= CROWD ? crowdPacket(i) : samples[i % samples.length]) as Packet;
      p.Info = { ...(p.Info ?? {}), Sniffed_Timestamp: 1_800_000_000 + i };
      return p;
    });
    const expected: Record<string, number> = {};
    for (const p of packets) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;
    const expectedItems = Object.values(expected).reduce((a, b) => a + b, 0);

    const flowRecords = Array.from({ length: FLOWS }, (_, i) => ({ src_app: `f${i % 37}`, dest_app: 'db', vpc_id: 'vpc-faults', bytes_tx: i + 1, bytes_rx: 2 * i, hour: 900_000 + (i % 3) }));
    const flowSums = new Map<number, { tx: number; rx: number }>();
    for (const r of flowRecords) {
      const s = flowSums.get(r.hour) ?? { tx: 0, rx: 0 };
      flowSums.set(r.hour, { tx: s.tx + r.bytes_tx, rx: s.rx + r.bytes_rx });
    }
    const notifications = Array.from({ length: NOTIFICATIONS }, (_, i) =>
      seedNotification.replace('2025-03-17T19:43:27.972894Z', new Date(Date.UTC(2027, 0, 1, 0, i)).toISOString()),
    );

    // Concurrent clients, each with its share of the requests of every kind.
    const requests = Array.from({ length: Math.ceil(PACKETS / PER_REQUEST) }, (_, i) => packets.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST));
    const flowRequests = Array.from({ length: Math.ceil(FLOWS / 100) }, (_, i) => flowRecords.slice(i * 100, (i + 1) * 100));
    const work = [
      ...requests.map((body, i) => () => postUntilAccepted(body, `fault-run-${i}`)),
      ...flowRequests.map((body, i) => () => postUntilAccepted(body, `fault-flows-${i}`, '/flows')),
      ...notifications.map((body, i) => () => postUntilAccepted(body, `fault-notification-${i}`, '/relay-notification', 'application/yang-data+json')),
    ];
    let attempts = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        for (let i = client; i < work.length; i += CLIENTS) {
          const result = await (work[i] as () => Promise<{ attempts: number }>)();
          attempts += result.attempts;
        }
      }),
    );

    // Let the faulty pipeline drain: nothing left in the queues.
    for (const queue of ['PacketsQueue', 'FlowsQueue', 'NotificationsQueue']) {
      await eventually(async () => ((await inFlight(queue)) === 0 ? true : undefined), 240_000, `the ${queue} to drain`);
    }
    const beforeRedrive = await counts();
    for (const [protocol, n] of Object.entries(beforeRedrive)) expect(n, `${protocol} counted more than sent`).toBeLessThanOrEqual(expected[protocol] ?? 0);

    // What could not be stored waits in the DLQ with its reason; heal, redrive, and it lands once.
    const dlq = [...(await deadLetters('PacketsDLQ')), ...(await deadLetters('FlowsDLQ')), ...(await deadLetters('NotificationsDLQ'))];
    runtime.faultProxies.dynamodb?.setRates({});
    runtime.faultProxies.sqs?.setRates({});
    await new Promise((r) => setTimeout(r, 5_100)); // the peeked DLQ messages become visible again
    let redriven = 0;
    for (const kind of ['Packets', 'Flows', 'Notifications']) redriven += (await redriveQueue(sqs, directUrl(`${kind}DLQ`), directUrl(`${kind}Queue`))).moved;
    await eventually(async () => {
      const now = await counts();
      return JSON.stringify(Object.entries(now).sort()) === JSON.stringify(Object.entries(expected).sort()) ? now : undefined;
    }, 120_000, 'exact counts after redrive');
    // Devices: each view exact (counts shards, folded sightings and pending ones), and the beacon's sightings folded under the faults.
    const devices = expectedDevices(packets);
    await eventually(async () => (JSON.stringify([...(await deviceViews(devices.keys()))]) === JSON.stringify([...devices]) ? true : undefined), 120_000, 'exact device views after redrive');
    const beaconSightings = await eventually(async () => {
      const s = await sightingsOf(BEACON);
      return s.folded && s.pending < 2 ? s : undefined;
    }, 120_000, `the sightings of ${BEACON} folded`);
    expect(await deviceViews(devices.keys())).toEqual(devices);
    // Read as the query reads them (folded plus pending), then folded alone once the folder is done.
    await eventually(async () => {
      const sums = await flowSumsStored([...flowSums.keys()]);
      return [...flowSums].every(([hour, s]) => sums.get(hour)?.read.tx === s.tx && sums.get(hour)?.read.rx === s.rx) ? sums : undefined;
    }, 120_000, 'exact flow sums after redrive');
    const storedFlows = await eventually(async () => {
      const sums = await flowSumsStored([...flowSums.keys()]);
      const folded = [...flowSums].every(([hour, s]) => sums.get(hour)?.pending === 0 && sums.get(hour)?.folded.tx === s.tx && sums.get(hour)?.folded.rx === s.rx);
      return folded ? new Map([...sums].map(([hour, s]) => [hour, s.folded])) : undefined;
    }, 120_000, 'every flow delta folded, sums exact');
    const storedNotifications = await eventually(async () => {
      const n = await notificationItems();
      return n.distinct === NOTIFICATIONS ? n : undefined;
    }, 120_000, 'every notification stored');
    const stored = await storedPacketIds();

    const faults = { dynamodb: runtime.faultProxies.dynamodb?.counts, sqs: runtime.faultProxies.sqs?.counts };
    const reasons = new Map<string, number>();
    for (const { reason } of dlq) reasons.set(reason.slice(0, 120), (reasons.get(reason.slice(0, 120)) ?? 0) + 1);
    console.log(
      [
        `fault run: rates ${JSON.stringify(RATES)}, crash rate ${CRASH_RATE}, ${CLIENTS} clients`,
        `sent ${PACKETS} packets, ${FLOWS} flow records, ${NOTIFICATIONS} notifications in ${work.length} requests (${attempts} attempts); all accepted`,
        `packets: layer items expected ${expectedItems}, stored ${stored.items}, distinct ${stored.distinct}, duplicated ${stored.items - stored.distinct}, lost ${expectedItems - stored.distinct}; counts exact`,
        `flows: ${flowSums.size} hours, sums exact (${[...storedFlows].map(([h, s]) => `${h}: ${s.tx}/${s.rx}`).join(', ')})`,
        `devices: ${devices.size} views exact; ${BEACON}: sightings folded, ${beaconSightings.pending} pending`,
        `notifications: stored ${storedNotifications.items}, distinct ${storedNotifications.distinct}, duplicated ${storedNotifications.items - storedNotifications.distinct}, lost ${NOTIFICATIONS - storedNotifications.distinct}`,
        `dead-lettered ${dlq.length}, redriven ${redriven}${[...reasons].map(([r, n]) => `\n  ${n} x ${r}`).join('')}`,
        `faults injected: ${JSON.stringify(faults)}`,
      ].join('\n'),
    );
    expect(stored.items - stored.distinct).toBe(0);
    expect(stored.distinct).toBe(expectedItems);
    expect(storedNotifications.items).toBe(NOTIFICATIONS);
    expect(redriven).toBe(dlq.length);
    expect((faults.dynamodb?.throttle ?? 0) + (faults.dynamodb?.resetAfter ?? 0)).toBeGreaterThan(0);
    expect((faults.sqs?.throttle ?? 0) + (faults.sqs?.resetAfter ?? 0)).toBeGreaterThan(0);
    if ((RATES.unprocessed ?? 0) > 0) expect(faults.dynamodb?.unprocessed).toBeGreaterThan(0);
  });

  it('answers 503 when the queue cannot be reached, and queues nothing', async () => {
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'an idle queue');
    runtime.faultProxies.sqs?.setRates({ serverError: 1 });
    try {
      const response = await fetch(`${runtime.url}/packets`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY },
        body: JSON.stringify(samples),
      });
      expect(response.status).toBe(503);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('service_unavailable');
      expect(await inFlight('PacketsQueue')).toBe(0);
    } finally {
      runtime.faultProxies.sqs?.setRates({});
    }
  });

  it('dead-letters what cannot be stored, with its reason, and stores it exactly once after redrive', { timeout: 300_000 }, async () => {
    // An outage on its own: no crashes now, and whatever the previous run still had in flight
    // finishes before it begins.
    runtime.setCrashRate(0);
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'an idle queue');
    const before = await counts();
    // DynamoDB down: every attempt fails until the last receive moves the messages to the DLQ.
    runtime.faultProxies.dynamodb?.setRates({ serverError: 1 });
    // Marked, so that its dead letters can be told from those earlier chaos may have left.
    const marker = 987_654_321;
    const body = [samples[0], samples[1]].map((p) => ({ ...p, Info: { ...p?.Info, Size: marker } })) as Packet[];
    // A key is claimed in the idempotency table, down with the rest of DynamoDB: 503, and the
    // client keeps its request. Without one, ingest needs the queue alone (no faults on it now).
    const post = (headers: Record<string, string>) =>
      fetch(`${runtime.url}/packets`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': TEST_API_KEY, ...headers }, body: JSON.stringify(body) });
    expect((await post({ 'idempotency-key': 'outage-keyed' })).status).toBe(503);
    expect((await post({})).status).toBe(202);
    expect((await post({})).status).toBe(202);
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 && (await inFlight('PacketsDLQ')) >= 2 ? true : undefined), 120_000, 'both messages in the DLQ');
    const dlq = (await deadLetters()).filter((m) => m.body.includes(`"Size":${marker}`));
    const ours = new Set(dlq.map((m) => m.ingestId));
    // Two requests, two messages; at least once: one processed twice at its last receive may reach the DLQ twice.
    expect(ours.size).toBe(2);
    for (const { reason } of dlq) expect(reason).toMatch(/InternalServerError|injected/);

    runtime.faultProxies.dynamodb?.setRates({});
    await new Promise((r) => setTimeout(r, 5_100));
    // Redriven twice over (an operator's double click): still stored once.
    const Messages = (await peekDeadLetters()).filter((m) => ours.has(JSON.parse(m.Body ?? '{}').ingestId));
    await new Promise((r) => setTimeout(r, 5_100));
    expect((await redriveQueue(sqs, directUrl('PacketsDLQ'), directUrl('PacketsQueue'))).moved).toBeGreaterThanOrEqual(2);
    for (const m of Messages) await sqs.send(new SendMessageCommand({ QueueUrl: directUrl('PacketsQueue'), MessageBody: m.Body }));

    const expected = { ...before };
    for (const p of [...body, ...body]) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;
    await eventually(async () => ((await inFlight('PacketsQueue')) === 0 ? true : undefined), 60_000, 'the queue to drain');
    let last: Record<string, number> = {};
    await eventually(async () => {
      last = await counts();
      return JSON.stringify(Object.entries(last).sort()) === JSON.stringify(Object.entries(expected).sort()) ? last : undefined;
    }, 60_000, 'counts including the redriven messages, once').catch((error: Error) => {
      throw new Error(`${error.message}: expected ${JSON.stringify(expected)}, last saw ${JSON.stringify(last)}`);
    });
  });
});
