import * as z from 'zod';
import { counter64 } from '../shared/counter64.ts';
import { HttpError, type ErrorDetail } from '../shared/errors.ts';
import { parseUntrustedJson } from '../shared/request-json.ts';
import { settle, type Handling, type Settled } from '../shared/lenient.ts';
import { assertStorable } from '../shared/storable.ts';
import { normalizeMac } from './mac.ts';

/**
 * What POST /netify takes a body as: newline-delimited JSON under any of the names it goes
 * by, and plain text, as whatever reads the agent's socket may label it.
 */
export const NETIFY_MEDIA_TYPES = ['application/x-ndjson', 'application/jsonl', 'application/json', 'text/plain'] as const;

const digest = z.string().min(1).max(128);
// Bytes and packets since the last report; sums of them stay exact past 2^53.
const count = counter64;
/** Netify's times are milliseconds since 1970; from the year 10000 on a time has no ISO 8601 date of four-digit year. */
const epochMilliseconds = z.number().nonnegative().lt(253_402_300_800_000, 'is after the year 9999 (milliseconds since 1970 expected)');

/** A `flow` record: which device (local side) runs which application for a flow digest. */
const flowRecord = z.object({
  type: z.literal('flow'),
  flow: z.looseObject({
    digest,
    local_mac: z.string().transform((value, ctx) => {
      const mac = normalizeMac(value);
      if (mac === undefined) ctx.addIssue({ code: 'custom', message: `"${value}" is not a MAC address` });
      return mac ?? value;
    }),
    local_ip: z.string().max(64).optional(),
    detected_application_name: z.string().max(256).optional(),
    detected_protocol_name: z.string().max(256).optional(),
    last_seen_at: epochMilliseconds.optional(),
  }),
});

/** `flow_stats` and `flow_purge`: bytes and packets of a flow since the last report. */
const statsRecord = z.object({
  type: z.enum(['flow_stats', 'flow_purge']),
  flow: z.looseObject({
    digest,
    local_bytes: count.default(0),
    other_bytes: count.default(0),
    local_packets: count.default(0),
    other_packets: count.default(0),
    last_seen_at: epochMilliseconds.optional(),
  }),
});

export type NetifyFlow = z.infer<typeof flowRecord>;
export type NetifyStats = z.infer<typeof statsRecord>;
export type NetifyRecord = NetifyFlow | NetifyStats;

export interface ParsedNetify extends Settled<NetifyRecord> {
  skipped: number;
}

const USED_TYPES = new Set(['flow', 'flow_stats', 'flow_purge']);

/**
 * Newline-delimited JSON as read from the Netify agent's socket. Framing lines such as
 * {"length": N}, blank lines and record types we do not use are skipped and counted; a
 * line that is not JSON, or a used record missing what we need, is a 400 naming the line;
 * with lenient handling such lines are listed as rejected and the rest is kept.
 */
export function parseNetify(text: string, handling: Handling = 'strict'): ParsedNetify {
  const records: NetifyRecord[] = [];
  const details: ErrorDetail[] = [];
  let skipped = 0;
  const lines = text.split(/\r?\n/);
  // The newline that ends the last line does not start another one.
  if (lines.at(-1) === '') lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') {
      skipped++;
      return;
    }
    let value: unknown;
    try {
      value = parseUntrustedJson(raw);
    } catch (error) {
      details.push({ line, message: `not JSON: ${(error as Error).message}` });
      return;
    }
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof type !== 'string' || !USED_TYPES.has(type)) {
      skipped++;
      return;
    }
    const result = (type === 'flow' ? flowRecord : statsRecord).safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) details.push({ line, field: issue.path.join('.'), message: issue.message });
      return;
    }
    // What is stored, once the schema has dropped what it does not keep: a line skipped, or
    // a member dropped, is never refused for being more than a table holds.
    try {
      assertStorable(result.data, `line ${line}`);
    } catch (error) {
      // The refusal names the field; the line is this detail's own.
      const detail = error instanceof HttpError ? error.details[0] : undefined;
      details.push({ line, ...(detail?.field === undefined ? {} : { field: detail.field }), message: detail?.message ?? (error as Error).message });
      return;
    }
    records.push(result.data);
  });
  return { skipped, ...settle(records, details, handling, 'line') };
}

/** One line of the agent's output that ingest uses (the OpenAPI contract describes it). */
export const netifyRecordSchema = z.union([flowRecord, statsRecord]);
