import type { Context, SQSEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { storeWithinTime } from '../shared/time-budget.ts';
import * as z from 'zod';
import { readEnvelope, type Envelope } from '../shared/queue-envelope.ts';
import { stringifyJson } from '../shared/json.ts';
import { applyExactlyOnce, writesAtMost, type CounterUpdate, type IdempotentUnit } from '../shared/exactly-once.ts';
import { writeMessages } from '../shared/message-writer.ts';
import { PoisonMessageError } from '../shared/sqs-batch.ts';
import { createApplications } from './applications.ts';
import { devicesConfig } from './config.ts';
import { inventoryRecordSchema } from './inventory-schema.ts';
import { parseNetify, type NetifyRecord } from './netify.ts';
import { inventoryUpdates, netifyUpdates } from './updates.ts';

/**
 * What a write is taken to cost before a chunk has measured one: about twice the slowest
 * measured, a POST of 10,000 inventory records of new devices (20,000 writes: a profile and
 * an index entry each) stored in 10.5-19.8 s on 2 cores. Two such POSTs make one batch that would pass the 30 s timeout whole.
 */
const ASSUMED_UPDATE_MS = 2;
/** Built once: zod compiles a schema on its first parse. */
const inventoryRecords = z.array(inventoryRecordSchema);

type DevicesMessage = { ingestId: string; receivedAt: number; unit: IdempotentUnit };

/**
 * Stores inventory and Netify messages: each message's updates (profile sets, one
 * application entry per digest, counted when it is created, byte and packet sums) applied exactly once under its
 * ingest id, many messages per transaction, a chunk of the batch at a time: what the time
 * left does not cover returns to the queue at once (storeWithinTime).
 */
export const handler = lambdaHandler(async (event: SQSEvent, context?: Context) => {
  const config = devicesConfig();
  return writeMessages<DevicesMessage>(
    event,
    {
      read: (record) => {
        const envelope = devicesEnvelope(record.body);
        return { ingestId: envelope.ingestId, receivedAt: envelope.receivedAt, unit: { id: `devices#${envelope.ingestId}`, updates: updatesOf(envelope, config.devicesTable) } };
      },
      store: storeWithinTime<DevicesMessage>({
        deadline: invocationDeadline(context),
        workOf: (m) => writesAtMost(m.unit.updates),
        assumedUnitMs: ASSUMED_UPDATE_MS,
        storeChunk: async (chunk) => {
          // New applications first, each counted as it is created (applications.ts).
          const units = await createApplications(chunk.map((m) => m.unit));
          await applyExactlyOnce(units, { markerTable: config.idempotencyTable });
        },
      }),
    },
    { ...config.deadLetters, writer: 'devices' },
  );
});

function devicesEnvelope(body: string): Envelope {
  try {
    return readEnvelope(body);
  } catch (error) {
    throw new PoisonMessageError(`not a devices message: ${(error as Error).message}`);
  }
}

function updatesOf(envelope: Envelope, table: string): CounterUpdate[] {
  const at = new Date(envelope.receivedAt).toISOString();
  try {
    if (envelope.kind === 'inventory') return inventoryUpdates(table, inventoryRecords.parse(envelope.records), at, envelope.origin === 'simulator');
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
