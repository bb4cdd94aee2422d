import type { SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import * as z from 'zod';
import { envelopeSchema, type Envelope } from '../shared/queue-envelope.ts';
import { parseJson, stringifyJson } from '../shared/json.ts';
import { applyExactlyOnce, type CounterUpdate, type IdempotentUnit } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { devicesConfig } from './config.ts';
import { inventoryRecordSchema } from './inventory-schema.ts';
import { parseNetify, type NetifyRecord } from './netify.ts';
import { inventoryUpdates, netifyUpdates } from './updates.ts';

/**
 * Stores inventory and Netify messages: each message's updates (profile sets, one
 * application entry per digest, byte and packet sums) applied exactly once under its
 * ingest id, many messages per transaction.
 */
export const handler = lambdaHandler(async (event: SQSEvent) => {
  const config = devicesConfig();
  return writeMessages<{ unit: IdempotentUnit }>(
    event,
    {
      read: (record) => {
        const envelope = readEnvelope(record.body);
        return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, unit: { id: `devices#${envelope.ingestId}`, updates: updatesOf(envelope, config.devicesTable) } };
      },
      store: (messages) => applyExactlyOnce(messages.map((m) => m.unit), { markerTable: config.idempotencyTable }).then(() => undefined),
    },
    { ...config.deadLetters, writer: 'devices' },
  );
});

function readEnvelope(body: string): Envelope {
  try {
    return envelopeSchema.parse(parseJson(body));
  } catch (error) {
    throw new PoisonMessageError(`not a devices message: ${(error as Error).message}`);
  }
}

function updatesOf(envelope: Envelope, table: string): CounterUpdate[] {
  const at = new Date(envelope.receivedAt).toISOString();
  try {
    if (envelope.kind === 'inventory') return inventoryUpdates(table, z.array(inventoryRecordSchema).parse(envelope.records), at, envelope.origin === 'simulator');
    if (envelope.kind === 'netify') {
      // Records were validated at ingest; parsing them again guards against a foreign message.
      const text = envelope.records.map((r) => stringifyJson(r)).join('\n');
      return netifyUpdates(table, parseNetify(text).records as NetifyRecord[], at);
    }
  } catch (error) {
    throw new PoisonMessageError(`invalid ${envelope.kind} records: ${(error as Error).message}`);
  }
  throw new PoisonMessageError(`message of kind "${envelope.kind}" on the devices queue`);
}
