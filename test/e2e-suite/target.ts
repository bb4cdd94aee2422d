import { randomUUID } from 'node:crypto';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { EMULATOR_GAPS, type Capability } from '../../infra/emulator/workarounds.ts';
import { TEST_API_KEY, startTestRuntime } from '../helpers/runtime.ts';

export type TargetName = 'embedded' | 'emulator' | 'local' | 'aws';

/** Where the end-to-end suite runs: the embedded runtime, or a deployment (MiniStack, LocalStack, AWS). */
export interface Target {
  name: TargetName;
  url: string;
  key: string;
  /** Distinguishes this run's data on a deployment that keeps data between runs. */
  runId: string;
  /** Deployed Lambdas start cold and queues poll slower: waits are longer there. */
  waitMs: number;
  /** The simulator's schedule: every minute when deployed, much faster in the embedded runtime. */
  scheduleWaitMs: number;
  close(): Promise<void>;
}

export function targetName(): TargetName {
  const name = process.env.E2E_TARGET ?? 'embedded';
  if (!['embedded', 'emulator', 'local', 'aws'].includes(name)) throw new Error(`unknown E2E_TARGET ${name}`);
  return name as TargetName;
}

/**
 * Why a capability cannot be tested on this target, or undefined when it can. The
 * emulator's gaps are kept with its workarounds (infra/emulator/workarounds.ts), so one
 * file says everything that differs on MiniStack.
 */
export function gap(capability: Capability): string | undefined {
  const name = targetName();
  if (name === 'emulator') return EMULATOR_GAPS[capability];
  if (name === 'embedded' && capability === 'cors') {
    return 'the embedded runtime does not emulate API Gateway CORS preflights (README, "What differs")';
  }
  return undefined;
}

/**
 * The target under test. `schedules`: the embedded runtime fires the simulator's
 * schedule (300 times faster than real time, under a stage of its own so the other tests
 * see only their own data); a deployment always runs its schedules.
 */
export async function openTarget(options: { schedules?: boolean } = {}): Promise<Target> {
  const name = targetName();
  const runId = randomUUID().slice(0, 8);
  if (name === 'embedded') {
    const runtime: LocalRuntime = await startTestRuntime(
      // Everything a deployment runs, the live channel's streams included.
      options.schedules
        ? { schedules: true, params: { simulator: 'on' }, streamEventSources: true, clockSpeed: 300, env: { API_KEYS: TEST_API_KEY, SIM_SEED: `e2e-${runId}` } }
        : { streamEventSources: true },
    );
    return { name, url: runtime.url, key: TEST_API_KEY, runId, waitMs: 30_000, scheduleWaitMs: 60_000, close: () => runtime.stop() };
  }
  const url = process.env.API_URL?.replace(/\/$/, '');
  const key = process.env.API_KEY;
  if (!url || !key) throw new Error(`target ${name} needs API_URL and API_KEY`);
  // A rate(1 minute) rule fires first a minute after it was created, then every minute.
  return { name, url, key, runId, waitMs: 120_000, scheduleWaitMs: 300_000, close: async () => undefined };
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // `any`: the suite asserts on each answer's shape field by field.
  body: any;
}

export async function call(
  target: Target,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'x-api-key': target.key, ...(body === undefined ? {} : { 'content-type': contentType }), ...headers },
    body,
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, body: json };
}

/** Polls until check() gives a value, within the target's wait (or `waitMs`). */
export async function until<T>(target: Target, what: string, check: () => Promise<T | undefined>, waitMs = target.waitMs): Promise<T> {
  const deadline = Date.now() + waitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${target.name}: timed out after ${waitMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

/** Waits a little longer, then checks the value has not changed: a double count would show by then. */
export async function settled<T>(target: Target, read: () => Promise<T>): Promise<T> {
  await new Promise((r) => setTimeout(r, target.name === 'embedded' ? 1_500 : 3_000));
  return read();
}

/** A locally administered MAC no other test or run uses. */
export function uniqueMac(prefix = '02:e2'): string {
  const octet = () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0');
  return `${prefix}:${octet()}:${octet()}:${octet()}:${octet()}`;
}

/** An hour no other run uses (flow sums are per hour, and deployments keep data). */
export function uniqueHour(): number {
  return 400_000 + Math.floor(Math.random() * 4_000_000);
}
