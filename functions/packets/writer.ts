import type { SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { forEachLimited, putAll } from '../shared/batch-writer.ts';
import { parseEnvelope, type Envelope } from '../shared/queue-envelope.ts';
import { applyExactlyOnce, mergeUpdates } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import type { Packet } from './packet-schema.ts';
import { packetsConfig } from './config.ts';
import { parsePackets } from './packet-schema.ts';
import { countUnit, layerItems, packetTimestamp } from './storage.ts';
import { packetDeviceUpdates } from './device-sightings.ts';

const PARALLEL_MESSAGES = 4;

type PacketsMessage = { ingestId: string; receivedAt: number; envelope: Envelope; packets: Packet[] };

/**
 * Stores a batch of packet messages: first every layer item (idempotent puts), then one
 * exactly-once transaction set for the batch's counters and device sightings. A crash between the two leaves
 * items without counts; the redelivered message rewrites the items and counts them once.
 */
export const handler = lambdaHandler(async (event: SQSEvent) => {
  const config = packetsConfig();
  return writeMessages<PacketsMessage>(
    event,
    {
      read: (record) => readMessage(record.body),
      store: async (messages) => {
        // A few messages at a time: each already writes in parallel, and a 6 MB batch all at
        // once would hold every message's items in memory together.
        await forEachLimited(messages, PARALLEL_MESSAGES, ({ envelope, packets }) =>
          putAll(config.packetsTable, layerItems(envelope, packets, config.packetShards)),
        );
        const units = messages.map(({ envelope, packets }) => {
          const unit = countUnit(envelope, packets, config.countsTable, config.counterShards);
          // Packets feed devices too, under the same exactly-once guard as the counts.
          const sightings = packets.map((packet) => ({ packet, timestamp: packetTimestamp(packet, envelope.receivedAt) }));
          return { id: unit.id, updates: mergeUpdates([...unit.updates, ...packetDeviceUpdates(config.devicesTable, sightings)]) };
        });
        await applyExactlyOnce(units, { markerTable: config.idempotencyTable });
      },
    },
    { ...config.deadLetters, writer: 'packets' },
  );
});

function readMessage(body: string): PacketsMessage {
  try {
    const envelope = parseEnvelope(body, 'packets');
    return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, envelope, packets: parsePackets(envelope.records) };
  } catch (error) {
    throw new PoisonMessageError(`not a valid packets message: ${(error as Error).message}`);
  }
}
