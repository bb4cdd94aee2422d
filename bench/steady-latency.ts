// Section 10 of `npm run bench`, or alone: `node bench/steady-latency.ts`. Packets posted at a
// steady half of the raw write ceiling for STEADY_SECONDS (default 60): each request's delay
// from its 202 to the moment the counts include it, and whether the queue's backlog grows.
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Endpoints } from '../infra/local/emulators.ts';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.ts';
import { POLLERS, queueDepth, rawCeiling, tenSamples } from './hot-items.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { percentile } from './stats.ts';

const SECONDS = Number(process.env.STEADY_SECONDS ?? 60);
const PER_REQUEST = 100;
const P99_TARGET_MS = 2_000;

export interface SteadyReport {
  ceiling: number;
  offered: number;
  achieved: number;
  delays: number[];
  /** Messages waiting in the packets queue, sampled each second. */
  backlog: number[];
  unseen: number;
}

let timeBase = 1_780_000_000;

export async function steadyLatencyRun(endpoints: Endpoints, key: string): Promise<SteadyReport> {
  const runtime = await startLocalRuntime({
    endpoints,
    port: 0,
    stage: 'benchsteady',
    schedules: false,
    pollerConcurrency: POLLERS,
    env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true' },
    log: () => {},
  });
  const sqs = new SQSClient({});
  try {
    const headers = { 'x-api-key': key };
    const post = async (body: unknown) => {
      const response = await fetch(`${runtime.url}/packets`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await response.arrayBuffer();
      if (response.status !== 202) throw new Error(`POST /packets answered ${response.status}`);
    };
    // Warm-up: handlers compiled, SDK pools filled; then the ceiling of the same layer items.
    for (let i = 0; i < 20; i++) await post(tenSamples(PER_REQUEST, (timeBase += 1_000)));
    await drained(runtime, sqs);
    const ceiling = await rawCeiling(Array.from({ length: 60 }, () => tenSamples(PER_REQUEST, (timeBase += 1_000))), 32);
    const offered = ceiling / 2;
    const interval = (PER_REQUEST / offered) * 1000;
    const count = async () => ((await (await fetch(`${runtime.url}/packets/tables/all`, { headers })).json()) as Record<string, number>).AF_Packet ?? 0;
    const base = await count();
    const total = Math.floor((SECONDS * 1000) / interval);
    const accepted: number[] = [];
    const backlog: number[] = [];
    const started = performance.now();
    // Open loop: each request leaves at its scheduled time whether or not the ones before it were answered.
    const sending = Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const wait = started + i * interval - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await post(tenSamples(PER_REQUEST, timeBase + i));
        accepted[i] = performance.now();
      }),
    );
    const sampling = setInterval(() => {
      packetsQueueDepth(runtime, sqs).then((depth) => backlog.push(depth), () => undefined);
    }, 1_000);
    const delays: number[] = [];
    let seen = 0;
    const deadline = started + SECONDS * 1000 + 120_000;
    // Every packet has an AF_Packet layer: the count says how many requests' packets landed,
    // read as the oldest requests first (writers may finish a later one first by a little).
    while (seen < total && performance.now() < deadline) {
      const landed = Math.floor(((await count()) - base) / PER_REQUEST);
      const now = performance.now();
      while (seen < landed && accepted[seen] !== undefined) delays.push(now - (accepted[seen++] as number));
      await new Promise((r) => setTimeout(r, 25));
    }
    clearInterval(sampling);
    await sending;
    timeBase += total + 1_000;
    const elapsed = (performance.now() - started) / 1000;
    return { ceiling, offered, achieved: (seen * PER_REQUEST) / Math.max(elapsed, SECONDS), delays, backlog, unseen: total - seen };
  } finally {
    sqs.destroy();
    await runtime.stop();
  }
}

const packetsQueueDepth = (runtime: LocalRuntime, sqs: SQSClient) => queueDepth(sqs, runtime.resources.queues.get('PacketsQueue')?.url);

async function drained(runtime: LocalRuntime, sqs: SQSClient): Promise<void> {
  for (let i = 0; i < 600 && (await packetsQueueDepth(runtime, sqs)) > 0; i++) await new Promise((r) => setTimeout(r, 100));
}

/** Backlog growth: the mean depth of the last third of the run against the first third. */
function backlogGrowth(backlog: number[]): { first: number; last: number } {
  const third = Math.max(1, Math.floor(backlog.length / 3));
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return { first: mean(backlog.slice(0, third)), last: mean(backlog.slice(-third)) };
}

export function steadyLatencyRows(report: SteadyReport): string[] {
  const [p50, p99] = [percentile(report.delays, 50), percentile(report.delays, 99)];
  const growth = backlogGrowth(report.backlog);
  // No growth: the last third's mean backlog within one request's messages of the first third's.
  const steady = growth.last <= growth.first + 2 && report.unseen === 0;
  return [
    `| 10 steady load | packets at half the write ceiling for ${SECONDS} s (${PER_REQUEST} a POST, ${POLLERS} pollers), 202 to visible p50 / p99 | ${p50.toFixed(0)} / ${p99.toFixed(0)} ms | ${report.offered.toFixed(0)} packets/s offered, ceiling ${report.ceiling.toFixed(0)} | | p99 <= ${P99_TARGET_MS} ms | ${p99 <= P99_TARGET_MS && report.unseen === 0 ? 'met' : '**missed**'} |`,
    `| 10 steady load | queue backlog, mean of the first and last third of the run (messages) | ${growth.first.toFixed(1)} -> ${growth.last.toFixed(1)} | ${report.achieved.toFixed(0)} packets/s visible; ${report.unseen} requests never seen | | no growth | ${steady ? 'met' : '**missed**'} |`,
  ];
}

if (isEntryPoint(import.meta.url)) await runSectionAlone(async (endpoints) => steadyLatencyRows(await steadyLatencyRun(endpoints, 'bench-key')));
