// Captured frames → POST /packets: decodes frame after frame, posts batches of up to 1,000
// with one Idempotency-Key per batch (kept across its retries on 429 and 503, so a retry can
// never store a batch twice), a bounded number of batches in flight (so memory stays
// constant while the reader waits), an optional packets/s limit, and a tally of what the
// service accepted and what it refused and why.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { readCapture, type CaptureFormat, type CaptureFrame } from './capture-reader.ts';
import { decodeFrame } from './frame-decoder.ts';

/** POST /packets takes at most this many per request. */
export const MAX_BATCH = 1000;
/** A batch is sent early once its JSON nears this size, under the route's 3 MB body limit. */
const MAX_BATCH_BYTES = 2_500_000;
/** Statuses that say "try again later"; the gateway's 502 and 504 too, as the key makes retrying safe. */
const RETRYABLE = new Set([429, 502, 503, 504]);

export interface ImportOptions {
  url: string;
  key: string;
  /** Packets per request, 1..1000. */
  batchSize?: number;
  /** Packets per second at most; unlimited when undefined or 0. */
  rate?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Interface_Name for frames whose capture does not name their interface. */
  interfaceName?: string;
  /** Attempts per request before its packets count as rejected. */
  maxAttempts?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Seconds since 1970; Processed_ and Submitted_Timestamp come from it. */
  clock?: () => number;
  /** Milliseconds on a monotonic clock, which --rate spaces requests by (performance.now by default). */
  monotonicMs?: () => number;
}

export interface ImportStats {
  framesRead: number;
  packetsSent: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  /** Frames of link types that are not decoded, by link type. */
  skippedLinkTypes: Record<string, number>;
  /** Requests sent again after a 429, 503 or a dropped connection. */
  retries: number;
  startedAt: number;
  /** Capture bytes read so far, and the file's size, for progress. */
  bytesRead: number;
  totalBytes?: number;
  format?: CaptureFormat;
  /** Bytes at the end of the file that did not make a whole record. */
  truncatedBytes?: number;
}

export const newStats = (now = performance.now()): ImportStats => ({
  framesRead: 0,
  packetsSent: 0,
  accepted: 0,
  rejected: 0,
  rejectedByReason: {},
  skippedLinkTypes: {},
  retries: 0,
  startedAt: now,
  bytesRead: 0,
});

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const nowSeconds = () => Date.now() / 1000;

interface ErrorBody {
  accepted?: number;
  rejected?: { record?: number; field?: string; message?: string }[];
  error?: { code?: string; message?: string; details?: { record?: number; field?: string; message?: string }[] };
}

function reject(stats: ImportStats, reason: string, count: number): void {
  stats.rejected += count;
  stats.rejectedByReason[reason] = (stats.rejectedByReason[reason] ?? 0) + count;
}

const reasonOf = (d: { field?: string; message?: string }) => (d.field ? `${d.field}: ${d.message ?? 'invalid'}` : (d.message ?? 'invalid'));

/** Posts one batch: retries transient failures with the same key and body; drops records the service names as invalid and posts the rest. */
async function postBatch(packets: Packet[], options: Required<Pick<ImportOptions, 'url' | 'key' | 'maxAttempts'>> & ImportOptions, stats: ImportStats): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? sleepMs;
  let pending = packets;
  while (pending.length > 0) {
    const body = JSON.stringify(pending);
    const key = `"${randomUUID()}"`; // an sf-string, as the Idempotency-Key draft has it
    let response: Response | undefined;
    let failure = '';
    for (let attempt = 1; attempt <= options.maxAttempts; attempt++) {
      if (attempt > 1) stats.retries++;
      try {
        response = await doFetch(`${options.url}/packets`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': options.key, 'idempotency-key': key, prefer: 'handling=lenient' },
          body,
        });
      } catch (error) {
        response = undefined;
        failure = `request failed: ${(error as Error).message}`;
      }
      if (response !== undefined && !RETRYABLE.has(response.status)) break;
      if (response !== undefined) {
        failure = `HTTP ${response.status} after ${options.maxAttempts} attempts`;
        await response.arrayBuffer().catch(() => undefined);
      }
      if (attempt === options.maxAttempts) {
        response = undefined;
        break;
      }
      const after = Number(response?.headers.get('retry-after'));
      const backoff = Math.min(30_000, 250 * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
      await sleep(Number.isFinite(after) && after > 0 ? Math.min(after * 1000, 60_000) : backoff);
    }
    if (response === undefined) {
      reject(stats, failure, pending.length);
      return;
    }
    const text = await response.text();
    let parsed: ErrorBody = {};
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as ErrorBody);
    } catch {
      // a body that is not JSON: the status says enough
    }
    if (response.status === 202) {
      if (Array.isArray(parsed.rejected)) {
        // Prefer: handling=lenient applied: the valid records are queued, the rest listed (a very long list cut short).
        const accepted = typeof parsed.accepted === 'number' ? parsed.accepted : pending.length - parsed.rejected.length;
        for (const r of parsed.rejected) reject(stats, reasonOf(r), 1);
        const unlisted = pending.length - accepted - parsed.rejected.length;
        if (unlisted > 0) reject(stats, 'rejected, reason not listed', unlisted);
        stats.accepted += accepted;
      } else {
        stats.accepted += typeof parsed.accepted === 'number' ? parsed.accepted : pending.length;
      }
      return;
    }
    // All or nothing: a 400 names the invalid records (up to 20 at a time); the rest go again under a new key.
    const named = new Map<number, string>();
    if (response.status === 400) {
      for (const d of parsed.error?.details ?? []) {
        if (typeof d.record === 'number' && d.record >= 0 && d.record < pending.length && !named.has(d.record)) named.set(d.record, reasonOf(d));
      }
    }
    if (named.size === 0) {
      reject(stats, `HTTP ${response.status}${parsed.error?.code ? ` ${parsed.error.code}` : ''}: ${parsed.error?.message ?? text.slice(0, 200)}`, pending.length);
      return;
    }
    for (const reason of named.values()) reject(stats, reason, 1);
    pending = pending.filter((_, i) => !named.has(i));
  }
}

/** Spaces requests so that packets go out at no more than `rate` per second. */
function rateLimiter(rate: number | undefined, sleep: (ms: number) => Promise<void>, monotonicMs: () => number) {
  let nextFree = monotonicMs();
  return async (count: number) => {
    if (!rate || rate <= 0) return;
    const now = monotonicMs();
    const start = Math.max(now, nextFree);
    nextFree = start + (count / rate) * 1000;
    if (start > now) await sleep(start - now);
  };
}

/** Decodes and posts every frame; resolves when every batch has an answer. */
export async function importFrames(frames: AsyncIterable<CaptureFrame>, options: ImportOptions, stats: ImportStats = newStats()): Promise<ImportStats> {
  const batchSize = options.batchSize ?? MAX_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) throw new RangeError(`batch size must be 1..${MAX_BATCH}`);
  const settings = { maxAttempts: 8, ...options, url: options.url.replace(/\/+$/, '') };
  const clock = options.clock ?? nowSeconds;
  const limit = rateLimiter(options.rate, options.sleep ?? sleepMs, options.monotonicMs ?? (() => performance.now()));
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const inFlight = new Set<Promise<void>>();

  let batch: Packet[] = [];
  let batchBytes = 2;
  const flush = async () => {
    if (batch.length === 0) return;
    const packets = batch;
    batch = [];
    batchBytes = 2;
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    await limit(packets.length);
    const submitted = clock();
    for (const p of packets) if (p.Info !== undefined) p.Info.Submitted_Timestamp = submitted;
    stats.packetsSent += packets.length;
    const request: Promise<void> = postBatch(packets, settings, stats)
      .catch((error: unknown) => reject(stats, `request failed: ${(error as Error).message}`, packets.length))
      .finally(() => inFlight.delete(request));
    inFlight.add(request);
  };

  // A capture that turns out corrupt part way: what was read before still goes out.
  let failure: unknown;
  try {
    for await (const frame of frames) {
      stats.framesRead++;
      const decoded = decodeFrame(frame, { interfaceName: options.interfaceName });
      if ('skipped' in decoded) {
        stats.skippedLinkTypes[decoded.skipped] = (stats.skippedLinkTypes[decoded.skipped] ?? 0) + 1;
        continue;
      }
      const packet = decoded.packet;
      if (packet.Info !== undefined) packet.Info.Processed_Timestamp = clock();
      const size = JSON.stringify(packet).length + 1;
      if (batch.length > 0 && batchBytes + size > MAX_BATCH_BYTES) await flush();
      batch.push(packet);
      batchBytes += size;
      if (batch.length >= batchSize) await flush();
    }
  } catch (error) {
    failure = error;
  }
  await flush();
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  return stats;
}

/** Imports a pcap or pcapng file, read as a stream. */
export async function importCaptureFile(path: string, options: ImportOptions, stats: ImportStats = newStats()): Promise<ImportStats> {
  stats.totalBytes = (await stat(path)).size;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      stats.bytesRead += chunk.length;
      yield chunk;
    }
  }
  try {
    const frames = readCapture(counted(), {
      onFormat: (format) => (stats.format = format),
      onTruncated: (bytes) => (stats.truncatedBytes = bytes),
    });
    return await importFrames(frames, options, stats);
  } finally {
    stream.destroy();
  }
}
