import * as z from 'zod';
import { badRequest, type ErrorDetail } from '../shared/errors.ts';
import { settleRecords, type Handling, type Settled } from '../shared/lenient.ts';
import { counter64 } from '../shared/counter64.ts';
import { isPlainFlowRecord } from './flow-check.ts';

export const MAX_FLOW_RECORDS = 10_000;
const name = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'may not exceed 256 characters')
  // A lone surrogate cannot be stored or percent-encoded into a key.
  .refine((s) => s.isWellFormed(), 'is not well-formed Unicode');
// JSON integers only: the service this replaces stored "100" as a string and never found it again.
const bytes = counter64;

/** A flow-log record: bytes one app pair moved in one hour, within one VPC. */
export const flowRecordSchema = z.strictObject({
  src_app: name,
  dest_app: name,
  vpc_id: name,
  bytes_tx: bytes,
  bytes_rx: bytes,
  // Any safe integer, as GET /flows takes: an hour is a number in its keys, never a date.
  hour: z.number().int().min(0),
});

export type FlowRecord = z.infer<typeof flowRecordSchema>;

/** A JSON array of flow records, all valid, or a 400 naming each bad record and field. */
export function parseFlowRecords(body: unknown): FlowRecord[] {
  return parseFlowRequest(body, 'strict').records;
}

/**
 * A POST /flows JSON body under the request's handling: strict is all-or-nothing, lenient
 * keeps the valid records and lists the others. A body that is not a non-empty array of at
 * most MAX_FLOW_RECORDS is a 400 either way.
 */
export function parseFlowRequest(body: unknown, handling: Handling): Settled<FlowRecord> {
  if (!Array.isArray(body)) throw badRequest('send a JSON array of flow records', [{ message: `got ${body === null ? 'null' : typeof body}` }]);
  if (body.length === 0) throw badRequest('the array of flow records is empty');
  if (body.length > MAX_FLOW_RECORDS) throw badRequest(`request has ${body.length} records; the limit is ${MAX_FLOW_RECORDS}`);
  // The compiled check takes most records (test/unit/precompiled-validators.test.ts holds it
  // to the schema), several times as fast; the schema takes big counts and names problems.
  return settleRecords<FlowRecord>(body, { accepts: isPlainFlowRecord, schema: flowRecordSchema, describe }, handling);
}

function describe(record: number, issue: z.core.$ZodIssue): ErrorDetail {
  if (issue.code === 'unrecognized_keys') return { record, field: issue.keys.join(', '), message: 'unknown field' };
  if (issue.path.length === 0) return { record, message: 'a flow record must be a JSON object' };
  return { record, field: issue.path.join('.'), message: issue.message };
}
