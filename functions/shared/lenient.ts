import type * as z from 'zod';
import { invalidRecords, type ErrorDetail } from './errors.ts';

/**
 * RFC 7240 `Prefer: handling=lenient` for bulk ingest. Without it a request is
 * all-or-nothing (`handling=strict`, the default): one bad record and the request is a 400.
 * With it the valid records are queued and the bad ones listed in the 202 answer, which
 * carries `Preference-Applied: handling=lenient`.
 */
export type Handling = 'strict' | 'lenient';

/** A record left out of a lenient request: its index (and line, for text bodies) and its first problem. */
export interface Rejection {
  record: number;
  line?: number;
  field?: string;
  message: string;
}

/**
 * What a parser hands its handler: the records to queue and, in lenient handling only,
 * the records it left out. `rejected_omitted` counts rejections beyond the listed ones.
 */
export interface Settled<T> {
  records: T[];
  rejected?: Rejection[];
  rejected_omitted?: number;
}

/** The most rejections one answer lists: a text body of millions of bad lines stays a small answer. */
export const MAX_LISTED_REJECTIONS = 10_000;

/**
 * The handling a request asks for. Prefer is a comma-separated list of preferences, each
 * `token[=value]` with optional `;parameters`; tokens are case-insensitive, a value may be a
 * quoted string, and when a preference appears twice only the first counts (RFC 7240 section 2).
 */
export function preferredHandling(headers: Record<string, string | undefined> | undefined): Handling {
  const prefer = headers?.prefer ?? headers?.Prefer;
  if (prefer === undefined) return 'strict';
  for (const preference of splitOutsideQuotes(prefer, ',')) {
    const [first] = splitOutsideQuotes(preference, ';');
    const eq = (first ?? '').indexOf('=');
    const token = (eq === -1 ? (first ?? '') : (first ?? '').slice(0, eq)).trim().toLowerCase();
    if (token !== 'handling') continue;
    const value = unquote(eq === -1 ? '' : (first ?? '').slice(eq + 1).trim()).toLowerCase();
    return value === 'lenient' ? 'lenient' : 'strict';
  }
  return 'strict';
}

/** The handling of an API Gateway event (payload 2.0 lowercases header names). */
export function handling(event: { headers?: Record<string, string | undefined> }): Handling {
  return preferredHandling(event.headers);
}

/** The response header saying lenient handling was applied; none for strict handling. */
export function preferenceApplied(settled: { rejected?: readonly Rejection[] }): Record<string, string> {
  return settled.rejected === undefined ? {} : { 'preference-applied': 'handling=lenient' };
}

/**
 * Settles a request from what its parser found: the valid records and one detail per
 * problem (a record may have several). Strict handling throws the 400 the API has always
 * answered, naming the first problem and listing up to 20; lenient handling keeps the valid
 * records and lists each rejected record once, with its first problem, in request order.
 * `unit` says how records are numbered: `record` (0-based index) for JSON arrays, `line`
 * (1-based) for text bodies, whose rejections carry both (`record` = line - 1).
 */
export function settle<T>(records: T[], details: readonly ErrorDetail[], mode: Handling, unit: 'record' | 'line'): Settled<T> {
  if (mode === 'strict') {
    if (details.length > 0) throw invalidRecords(details, unit);
    return { records };
  }
  const rejected: Rejection[] = [];
  const seen = new Set<number>();
  let omitted = 0;
  for (const detail of details) {
    const position = unit === 'line' ? detail.line : detail.record;
    if (position === undefined || seen.has(position)) continue;
    seen.add(position);
    if (rejected.length >= MAX_LISTED_REJECTIONS) {
      omitted++;
      continue;
    }
    const field = detail.field === undefined || detail.field === '' ? {} : { field: detail.field };
    rejected.push(unit === 'line' ? { record: position - 1, line: position, ...field, message: detail.message } : { record: position, ...field, message: detail.message });
  }
  rejected.sort((a, b) => a.record - b.record);
  return omitted > 0 ? { records, rejected, rejected_omitted: omitted } : { records, rejected };
}

/** How a body's records are checked: their schema, what a detail says of an issue and, optionally, a faster check. */
export interface RecordCheck {
  schema: z.ZodType;
  describe: (record: number, issue: z.core.$ZodIssue) => ErrorDetail;
  /** A check compiled from the schema, which accepts only what it does: a record it takes goes as it is, without asking zod. */
  accepts?: (item: unknown) => boolean;
}

/** Each record of a JSON array body through its check, settled under the request's handling (see settle). */
export function settleRecords<T>(items: readonly unknown[], check: RecordCheck, mode: Handling): Settled<T> {
  const records: T[] = [];
  const details: ErrorDetail[] = [];
  items.forEach((item, record) => {
    if (check.accepts?.(item) === true) {
      records.push(item as T);
      return;
    }
    const result = check.schema.safeParse(item);
    if (result.success) records.push(result.data as T);
    else for (const issue of result.error.issues) details.push(check.describe(record, issue));
  });
  return settle(records, details, mode, 'record');
}

function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.filter((part) => part.trim() !== '');
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) return value.slice(1, -1).replace(/\\(.)/g, '$1');
  return value;
}
