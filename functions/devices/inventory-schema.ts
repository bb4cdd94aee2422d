import { isIP } from 'node:net';
import * as z from 'zod';
import { badRequest, type ErrorDetail } from '../shared/errors.ts';
import { settleRecords, type Handling, type Settled } from '../shared/lenient.ts';
import { normalizeMac } from './mac.ts';

const text = z.string().trim().min(1).max(256);

/**
 * A device inventory record (the simulated network's static device data). The seed-004
 * network server lists its devices with an `id` and the dynamic `upload_speed`,
 * `download_speed` and `active_connection` beside them; such a list is accepted as it is
 * and those four are dropped (the MAC is the key, speeds come from the telemetry).
 */
export const inventoryRecordSchema = z
  .strictObject({
    host_name: text,
    device_type: text,
    operating_system: text,
    mac_address: z.string().transform((value, ctx) => {
      const mac = normalizeMac(value);
      if (mac === undefined) ctx.addIssue({ code: 'custom', message: `"${value}" is not a MAC address (six hex octets separated by : or -)` });
      return mac ?? value;
    }),
    ip_address: z.string().refine((value) => isIP(value) !== 0, { message: 'not an IPv4 or IPv6 address' }),
    id: z.unknown().optional(),
    upload_speed: z.unknown().optional(),
    download_speed: z.unknown().optional(),
    active_connection: z.unknown().optional(),
  })
  .transform(({ id: _id, upload_speed: _up, download_speed: _down, active_connection: _active, ...record }) => record);

export type InventoryRecord = z.infer<typeof inventoryRecordSchema>;

export const MAX_INVENTORY_RECORDS = 10_000;

/**
 * A POST /devices body under the request's handling: strict is all-or-nothing (a 400 naming
 * each bad record and field), lenient keeps the valid records and lists the others. A body
 * that is not a non-empty array of at most MAX_INVENTORY_RECORDS is a 400 either way.
 */
export function parseInventoryRequest(body: unknown, handling: Handling): Settled<InventoryRecord> {
  if (!Array.isArray(body)) throw badRequest('send a JSON array of inventory records');
  if (body.length === 0) throw badRequest('the array of inventory records is empty');
  if (body.length > MAX_INVENTORY_RECORDS) throw badRequest(`request has ${body.length} records; the limit is ${MAX_INVENTORY_RECORDS}`);
  return settleRecords<InventoryRecord>(body, { schema: inventoryRecordSchema, describe: describeIssue }, handling);
}

function describeIssue(record: number, issue: z.core.$ZodIssue): ErrorDetail {
  const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
  return { record, field: field === '' ? undefined : field, message: issue.path.length === 0 && issue.code === 'invalid_type' ? 'an inventory record must be a JSON object' : issue.message };
}

/** A whole inventory, all valid or a 400 (what strict handling gives; the simulator's own inventory too). */
export function parseInventory(body: unknown): InventoryRecord[] {
  return parseInventoryRequest(body, 'strict').records;
}
