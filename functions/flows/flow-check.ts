import { validatePlainFlowRecord } from '../generated/flow-record-validator.ts';
import type { FlowRecord } from './flow-schema.ts';

const NAMES = ['src_app', 'dest_app', 'vpc_id'] as const;

/**
 * Whether flowRecordSchema takes this record as it is, judged without zod: the validator
 * generated from the schema with its byte counts as numbers, then the schema's refinement
 * beside it (names are well-formed Unicode). A record with a count past 2^53 (a bigint) is
 * refused here and left to the schema, which also names what is wrong with an invalid one.
 */
export function isPlainFlowRecord(record: unknown): record is FlowRecord {
  return validatePlainFlowRecord(record) && NAMES.every((name) => record[name].isWellFormed());
}
