import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { forEachLimited, putAcross } from '../shared/batch-writer.ts';
import { parseEnvelope, type Envelope } from '../shared/queue-envelope.ts';
import { applyExactlyOnce } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { storeWithinTime } from '../shared/time-budget.ts';
import { readingItems, snapshotStoredReadings, type InterfaceReading } from '../devices/interfaces.ts';
import { sighting } from '../devices/updates.ts';
import { notificationsConfig } from './config.ts';
import { MAX_INTERFACE_NAME } from './interface-name.ts';
import type { NormalizedNotification } from './notification.ts';
import { deviceReadings, notificationItems } from './storage.ts';

const PARALLEL_INTERFACES = 16;
/**
 * What a unit of work (workOf) is taken to cost before a chunk has measured one: about twice
 * the slowest measured, 100 backlogged notifications of 48 interfaces (4,900 units) in
 * 5.5-11.7 s on 2 cores, the kind of batch that needs the time budget.
 */
const ASSUMED_UNIT_MS = 5;

type NotificationsMessage = { ingestId: string; receivedAt: number; envelope: Envelope; notifications: NormalizedNotification[] };

/**
 * Stores a batch of notifications a chunk at a time: history, per-interface series and the
 * readings device views read, with idempotent puts (with a TTL); then, interfaces in
 * parallel, each one's latest statistics and the snapshots its readings give (in time
 * order); then the sightings of their devices, exactly once per message. When the time left would not
 * cover another chunk, the rest of the batch returns to the queue at once and what is stored
 * stays stored, rather than the whole batch timing out and coming back.
 */
export const handler = lambdaHandler(async (event: SQSEvent, context?: Context) => {
  const config = notificationsConfig();
  const expiresAt = Math.floor(Date.now() / 1000) + config.retentionDays * 86_400;
  return writeMessages<NotificationsMessage>(
    event,
    {
      read: (record) => readMessage(record.body),
      store: storeWithinTime({
        deadline: invocationDeadline(context),
        workOf,
        assumedUnitMs: ASSUMED_UNIT_MS,
        storeChunk: (chunk) => storeChunk(chunk, config, expiresAt),
      }),
    },
    { ...config.deadLetters, writer: 'notifications' },
  );
});

/** A message's work: one, and one per interface reading, which costs a few requests each. */
const workOf = (m: NotificationsMessage): number => 1 + m.notifications.reduce((n, x) => n + (x.interfaces?.length ?? 0), 0);

/** One chunk's notifications, all of what they give stored before the next chunk starts. */
async function storeChunk(messages: NotificationsMessage[], config: ReturnType<typeof notificationsConfig>, expiresAt: number): Promise<void> {
  const readingsOf = messages.map((m) => m.notifications.flatMap(deviceReadings));
  const byInterface = new Map<string, InterfaceReading[]>();
  for (const reading of readingsOf.flat()) {
    const key = `${reading.mac}/${reading.name}`;
    byInterface.set(key, [...(byInterface.get(key) ?? []), reading]);
  }
  const interfaces = [...byInterface.values()];
  // History, series and every interface's readings in shared requests (a notification of six
  // interfaces: one request, not seven); each interface's readings are stored before its
  // latest statistics move, as recordInterfaceReadings does.
  await putAcross([
    {
      tableName: config.notificationsTable,
      items: messages.flatMap(({ envelope, notifications }) => notifications.flatMap((n, i) => notificationItems(envelope, n, i, config.shards, expiresAt))),
    },
    { tableName: config.devicesTable, items: interfaces.flatMap(readingItems) },
  ]);
  await forEachLimited(interfaces, PARALLEL_INTERFACES, (readings) => snapshotStoredReadings(config.devicesTable, readings));
  const units = messages.map(({ envelope }, i) => ({
    id: `notifications#${envelope.ingestId}`,
    updates: (readingsOf[i] ?? []).flatMap((r) => sighting(config.devicesTable, r.mac, r.eventTime)),
  }));
  await applyExactlyOnce(units.filter((u) => u.updates.length > 0), { markerTable: config.idempotencyTable });
}

function readMessage(body: string): NotificationsMessage {
  try {
    const envelope = parseEnvelope(body, 'notifications');
    const notifications = envelope.records as NormalizedNotification[];
    if (!notifications.every((n) => typeof n?.eventTime === 'string')) throw new Error('a record without eventTime');
    // Checked before any write: a name the tables refuse in a key would fail the message after
    // its history was already put, leaving a notification stored that was dead-lettered.
    const longName = notifications.flatMap((n) => n.interfaces ?? []).find((i) => typeof i.name !== 'string' || i.name.length > MAX_INTERFACE_NAME);
    if (longName !== undefined) throw new Error(`an interface name longer than ${MAX_INTERFACE_NAME} characters`);
    return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, envelope, notifications };
  } catch (error) {
    throw new PoisonMessageError(`not a valid notifications message: ${(error as Error).message}`);
  }
}
