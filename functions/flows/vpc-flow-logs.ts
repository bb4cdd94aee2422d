import { wrapNumber } from '../shared/json.ts';
import { invalidRecords, type ErrorDetail } from '../shared/errors.ts';
import { settle, type Handling, type Settled } from '../shared/lenient.ts';
import { flowRecordSchema, type FlowRecord } from './flow-schema.ts';

/** The default (version 2) format, used when the first line is not a header. */
export const DEFAULT_FIELDS = [
  'version', 'account-id', 'interface-id', 'srcaddr', 'dstaddr', 'srcport', 'dstport',
  'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log-status',
] as const;

/** Every field of versions 2 to 5, the names a custom format's header may use. */
const KNOWN_FIELDS = new Set<string>([
  ...DEFAULT_FIELDS,
  'vpc-id', 'subnet-id', 'instance-id', 'tcp-flags', 'type', 'pkt-srcaddr', 'pkt-dstaddr',
  'region', 'az-id', 'sublocation-type', 'sublocation-id', 'pkt-src-aws-service', 'pkt-dst-aws-service',
  'flow-direction', 'traffic-path',
]);

const SKIPPED_STATUSES = new Set(['NODATA', 'SKIPDATA']);

export interface ParsedVpcFlowLogs extends Settled<FlowRecord> {
  skipped: number;
}

/**
 * AWS VPC Flow Logs as text, one record per line: the default format, or any format of
 * v2-v5 fields named by a header line. Each record becomes a flow record: srcaddr and
 * dstaddr as the apps, vpc-id (else interface-id) as the VPC, bytes as bytes_tx, the
 * hour of `start`. NODATA and SKIPDATA lines are skipped and counted. Strict handling (the
 * default) is a 400 naming each bad line; lenient keeps the good lines and lists the bad
 * ones. A header that lacks what a flow record needs is a 400 either way.
 */
export function parseVpcFlowLogs(text: string, handling: Handling = 'strict'): ParsedVpcFlowLogs {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const firstContent = lines.findIndex((l) => l.trim() !== '');
  const firstTokens = firstContent === -1 ? [] : tokens(lines[firstContent] as string);
  const hasHeader = firstTokens.length > 0 && firstTokens.every((t) => KNOWN_FIELDS.has(t));
  const fields: readonly string[] = hasHeader ? firstTokens : DEFAULT_FIELDS;
  if (hasHeader) checkHeader(fields, firstContent + 1);

  const records: FlowRecord[] = [];
  const details: ErrorDetail[] = [];
  let skipped = 0;
  lines.forEach((raw, index) => {
    if ((hasHeader && index === firstContent) || raw.trim() === '') return;
    const line = index + 1;
    const values = tokens(raw);
    if (values.length !== fields.length) {
      details.push({ line, message: `expected ${fields.length} fields, got ${values.length}` });
      return;
    }
    const row = new Map(fields.map((f, i) => [f, values[i] as string]));
    if (SKIPPED_STATUSES.has(row.get('log-status') ?? '')) {
      skipped++;
      return;
    }
    // Problems found while the record is built count too: a line with any is left out whole.
    const before = details.length;
    const problem = (field: string, message: string) => details.push({ line, field, message });
    const required = (field: string): string | undefined => {
      const value = row.get(field);
      if (value === undefined || value === '-') problem(field, 'has no value ("-")');
      return value === '-' ? undefined : value;
    };
    const integer = (field: string): number | bigint | undefined => {
      const value = required(field);
      if (value === undefined) return undefined;
      if (!/^\d+$/.test(value)) problem(field, `"${value}" is not a non-negative integer`);
      return wrapNumber(value);
    };
    const vpcField = row.has('vpc-id') && row.get('vpc-id') !== '-' ? 'vpc-id' : 'interface-id';
    const record = {
      src_app: required('srcaddr'),
      dest_app: required('dstaddr'),
      vpc_id: required(vpcField),
      bytes_tx: integer('bytes'),
      bytes_rx: 0,
      hour: Math.floor(Number(integer('start') ?? 0) / 3600),
    };
    const result = flowRecordSchema.safeParse(record);
    if (details.length > before) return;
    if (result.success) records.push(result.data);
    else for (const issue of result.error.issues) problem(String(issue.path[0]), issue.message);
  });
  return { skipped, ...settle(records, details, handling, 'line') };
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean);
}

function checkHeader(fields: readonly string[], line: number): void {
  const missing = ['srcaddr', 'dstaddr', 'bytes', 'start'].filter((f) => !fields.includes(f));
  if (!fields.includes('vpc-id') && !fields.includes('interface-id')) missing.push('vpc-id or interface-id');
  if (missing.length > 0) {
    throw invalidRecords([{ line, field: missing[0], message: `the header lacks ${missing.join(', ')}, which a flow record needs` }], 'line');
  }
}
