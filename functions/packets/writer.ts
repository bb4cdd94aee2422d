import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { MARGIN, RESERVE_MS } from '../shared/time-budget.ts';
import { putAll } from '../shared/batch-writer.ts';
import { parseEnvelope, type Envelope } from '../shared/queue-envelope.ts';
import { applyExactlyOnce, type IdempotentUnit } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError, TimeBudgetError } from '../shared/sqs-batch.ts';
import type { Packet } from './packet-schema.ts';
import { packetsConfig } from './config.ts';
import { queuedPackets } from './packet-check.ts';
import { countUnit, layerItems, packetTimestamp } from './storage.ts';
import { indexEntries, packetDevices } from './device-sightings.ts';
import { nextChunk } from './message-chunks.ts';

/** BatchWriteItem requests in flight for a chunk's layer items. */
const PARALLEL_PUTS = 16;
/** BatchWriteItem requests in flight for a chunk's device sightings and index entries. */
const PARALLEL_DEVICE_PUTS = 8;
/**
 * Devices this process has put in the device index, so that a busy device's entry is not put
 * again with every message (a miss only puts the same entry again). Bounded: a writer's
 * memory is small.
 */
const MAX_INDEXED = 50_000;
const indexed = new Set<string>();
/** Transactions of one batch committed at the same time, each on a counter shard of its own. */
const PARALLEL_TRANSACTIONS = 2;
/**
 * Messages whose counts are committed together (summed per item, so a busy item takes one
 * action per group, not one per message), and so the most put in one go: a batch goes a
 * chunk at a time, so that one too big for the time left stores what it can.
 */
const CHUNK_MESSAGES = 10;
/**
 * Bodies whose items are put together, at most (a message bigger than this goes alone): only
 * one chunk's packets and items are in memory, which keeps a 6 MB batch of full 256 KiB
 * messages within a 128 MB function; their counts still wait for a group of CHUNK_MESSAGES.
 */
const CHUNK_BODY_BYTES = 256 * 1024;

/**
 * Bodies up to this many characters keep what reading them parsed: parsing the sniffer's one-packet
 * messages twice was 2% of the local runtime's CPU, and ten of them are small beside a
 * 128 MB function. Bigger ones are parsed again when their chunk is put.
 */
const KEEP_PARSED_CHARS = 16 * 1024;

/** A message checked when the batch is read, kept as its body and, when small, as what parsing it gave. */
type PacketsMessage = { ingestId: string; receivedAt: number; body: string; parsed?: ParsedMessage };
type ParsedMessage = { envelope: Envelope; packets: Packet[] };

/**
 * Stores a batch of packet messages a chunk at a time (see nextChunk): first every layer item, the
 * sightings of devices a message shows in passing and the index entries of those new to
 * this process (all idempotent puts; the sightings folder folds them later), then, for up
 * to CHUNK_MESSAGES messages at once, the protocol counts and the other devices' counts (see
 * packetDevices), merged per item, in exactly-once transactions (a marker per message) while
 * the next chunk's items are put. The transactions write sharded items: each
 * transaction holds a shard of its own, so concurrent writers never meet on an item. A crash
 * between the two leaves items without counts; the redelivered message rewrites the items
 * and counts them once. When the time left would not cover another chunk, the rest of
 * the batch returns to the queue and what is stored stays stored, rather than the whole
 * batch timing out and coming back.
 */
export const handler = lambdaHandler(async (event: SQSEvent, context?: Context) => {
  const config = packetsConfig();
  const deadline = invocationDeadline(context);
  // Stored by this invocation: when a failed batch is retried message by message, these are done.
  const stored = new Set<string>();
  let slowestMessageMs = 0;
  const exactlyOnce = { markerTable: config.idempotencyTable, shards: config.counterShards, parallel: PARALLEL_TRANSACTIONS };
  /** Puts a chunk's items; returns its messages' counts, for applyExactlyOnce. */
  const putChunk = async (chunk: PacketsMessage[]): Promise<IdempotentUnit[]> => {
    const messages = chunk.map(({ body, parsed }) => parsed ?? parseMessage(body));
    // The chunk's items together, so that the requests stay in flight to its last item (a
    // chunk at a time: a 6 MB batch all at once would hold every message's items in memory).
    const devices = messages.map(({ envelope, packets }) =>
      packetDevices(config.devicesTable, envelope.ingestId, packets.map((packet) => ({ packet, timestamp: packetTimestamp(packet, envelope.receivedAt) }))),
    );
    const sightings = devices.flatMap((d) => d.sightings);
    const unindexed = new Set(sightings.map((s) => s.mac_address).filter((mac) => !indexed.has(mac)));
    await Promise.all([
      putAll(config.packetsTable, messages.flatMap(({ envelope, packets }) => layerItems(envelope, packets, config.packetShards)), PARALLEL_PUTS),
      putAll(config.devicesTable, [...sightings, ...indexEntries(unindexed)], PARALLEL_DEVICE_PUTS),
    ]);
    if (indexed.size + unindexed.size > MAX_INDEXED) indexed.clear();
    for (const mac of unindexed) indexed.add(mac);
    return messages.map(({ envelope, packets }, i) => {
      const unit = countUnit(envelope, packets, config.countsTable);
      return { id: unit.id, updates: [...unit.updates, ...(devices[i]?.updates ?? [])] };
    });
  };
  return writeMessages<PacketsMessage>(
    event,
    {
      read: (record) => readMessage(record.body),
      store: async (messages) => {
        const pending = messages.filter((m) => !stored.has(m.ingestId));
        // The counts of up to CHUNK_MESSAGES messages, whose items are put, wait in `group`;
        // committed together, they go in while the next messages' items are put.
        let group: { messages: PacketsMessage[]; units: IdempotentUnit[]; started: number } | undefined;
        let counting: Promise<void> = Promise.resolve();
        const commit = async () => {
          if (group === undefined) return;
          const { messages: done, units, started } = group;
          group = undefined;
          await counting;
          counting = applyExactlyOnce(units, exactlyOnce).then(() => {
            slowestMessageMs = Math.max(slowestMessageMs, (Date.now() - started) / done.length);
            for (const m of done) stored.add(m.ingestId);
          });
          // Handled now (a failure is thrown where it is awaited), not an unhandled rejection while more items are put.
          counting.catch(() => undefined);
        };
        try {
          for (let i = 0; i < pending.length; ) {
            // As many messages as the time left covers, judged by the slowest message so far.
            const left = deadline - Date.now() - RESERVE_MS;
            const fit = slowestMessageMs === 0 ? CHUNK_MESSAGES : Math.floor(left / (MARGIN * slowestMessageMs));
            if (fit < 1) {
              await commit();
              throw new TimeBudgetError(`${pending.length - i} messages not stored with ${left + RESERVE_MS} ms left: they return to the queue`);
            }
            const chunk = nextChunk(pending, i, Math.min(fit, CHUNK_MESSAGES - (group?.messages.length ?? 0)), CHUNK_BODY_BYTES);
            const started = Date.now();
            const units = await putChunk(chunk);
            // A first estimate, from the puts alone, for judging the next chunk before these counts are in.
            slowestMessageMs = Math.max(slowestMessageMs, (Date.now() - started) / chunk.length);
            group ??= { messages: [], units: [], started };
            group.messages.push(...chunk);
            group.units.push(...units);
            i += chunk.length;
            if (group.messages.length >= CHUNK_MESSAGES || i >= pending.length) await commit();
          }
        } finally {
          // Settled before the batch is, whatever stopped the loop: `stored` must be exact.
          await counting.catch(() => undefined);
        }
        await counting;
      },
    },
    { ...config.deadLetters, writer: 'packets' },
  );
});

/**
 * Checks a message when the batch is read, so that a poison message fails alone, but keeps
 * only the body of a big one: a 6 MB batch's packets parsed all at once would not fit a
 * small function, and parsing again costs about 13 ms per MB.
 */
function readMessage(body: string): PacketsMessage {
  const parsed = parseMessage(body);
  const { ingestId, receivedAt } = parsed.envelope;
  return body.length <= KEEP_PARSED_CHARS ? { ingestId, receivedAt, body, parsed } : { ingestId, receivedAt, body };
}

function parseMessage(body: string): ParsedMessage {
  try {
    const envelope = parseEnvelope(body, 'packets');
    return { envelope, packets: queuedPackets(envelope.records) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid packets message: ${(error as Error).message}`);
  }
}
