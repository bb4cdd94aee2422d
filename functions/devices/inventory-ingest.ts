import { z } from 'zod';
import { badRequest, type ErrorDetail } from '../shared/errors.ts';
import { json, jsonBody } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { devicesConfig } from './config.ts';
import { handling, preferenceApplied } from '../shared/lenient.ts';
import { inventoryRecordSchema, parseInventoryRequest, type InventoryRecord } from './inventory-schema.ts';

const MAX_RECORDS = 10_000;

export function parseInventory(body: unknown): InventoryRecord[] {
  if (!Array.isArray(body)) throw badRequest('send a JSON array of inventory records');
  if (body.length === 0) throw badRequest('the array of inventory records is empty');
  if (body.length > MAX_RECORDS) throw badRequest(`request has ${body.length} records; the limit is ${MAX_RECORDS}`);
  const result = z.array(inventoryRecordSchema).safeParse(body);
  if (result.success) return result.data;
  const details: ErrorDetail[] = result.error.issues.slice(0, 20).map((issue) => ({
    record: Number(issue.path[0]),
    field: issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.slice(1).join('.') || undefined,
    message: issue.message,
  }));
  const first = details[0] as ErrorDetail;
  throw badRequest(`record ${first.record}${first.field ? ` field ${first.field}` : ''}: ${first.message}`, details);
}

/** POST /devices: inventory records, upserted by MAC address. */
export const handler = httpHandler(async (event) => {
  const config = devicesConfig();
  const { records, ...lenient } = parseInventoryRequest(jsonBody(event, config.maxBodyBytes), handling(event));
  await publishRecords(config.queueUrl, 'inventory', records, await publishOptions(event, 'inventory'));
  return json(202, { accepted: records.length, ...lenient }, preferenceApplied(lenient));
});
