// Section 7: the packets writer's memory on its largest batch, as many 256 KiB messages as
// fit Lambda's 6 MB event, run as Lambda runs it.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { packRecords } from '../functions/shared/queue-envelope.ts';
import { loadServiceConfig } from '../infra/local/service-config.ts';
import { PROJECT_ROOT } from '../infra/local/runtime.ts';
import { oneAtATimeEnv } from '../infra/local/invoke-store.ts';
import { bundle } from './cold-start.ts';
import { packets } from './fixtures.ts';
import { isEntryPoint, runSectionAlone, startQuietRuntime } from './section-alone.ts';
import { measure, show } from './stats.ts';

const MAX_EVENT_BYTES = 6_000_000;
const TARGET_MB = 128;

/**
 * The V8 flags Lambda's Node.js runtime starts a function with, from its memory size: a
 * tenth for the young generation (two semi-spaces), the rest for the old generation.
 */
export function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}

type Peak = { messages: number; failures: number; baselineMb: number; peakMb: number; ms: number };

async function runHarness(harness: string, flags: string[], batchFile: string, writer: string): Promise<Peak | string> {
  const child = spawn(process.execPath, [...flags, harness, batchFile, writer], { env: oneAtATimeEnv(), timeout: 300_000 });
  let output = '';
  let errors = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (errors += c.toString()));
  const exit = await new Promise<string>((resolveExit) => child.on('close', (code, signal) => resolveExit(signal ?? String(code))));
  const last = output.trim().split('\n').at(-1) ?? '';
  if (last.startsWith('{')) return JSON.parse(last) as Peak;
  return `the process ended (${exit}) ${errors.trim().split('\n').at(-1)?.slice(0, 200) ?? ''}`;
}

/**
 * The writer's deployment bundle on the batch in a process of its own, started with the flags
 * Lambda would give it at 128 MB and at its deployed memory size; its peak RSS against 128 MB.
 * The functions' environment (tables) is the one a local runtime gives this process.
 */
export async function writerMemoryRows(runs: number): Promise<string[]> {
  const config = loadServiceConfig(`${PROJECT_ROOT}/serverless.yml`, { stage: 'benchlive' });
  const deployedMb = config.functions.find((fn) => fn.name === 'packetsWriter')?.memorySize ?? 1024;
  const writer = (await bundle(`${PROJECT_ROOT}/functions/packets/writer.ts`, 'packetsWriter')).file;
  const harness = '/tmp/netingest-bench-bundles/writer-memory-harness.mjs';
  await build({ entryPoints: ['bench/writer-memory-harness.ts'], bundle: true, platform: 'node', format: 'esm', target: 'node24', outfile: harness, logLevel: 'silent' });
  const largest: string[] = [];
  let bytes = 0;
  for (const m of packRecords('packets', packets(30_000))) {
    if (bytes + m.body.length > MAX_EVENT_BYTES) break;
    largest.push(m.body);
    bytes += m.body.length;
  }
  const batchFile = '/tmp/netingest-bench-largest-batch.json';
  writeFileSync(batchFile, JSON.stringify(largest));
  const rows: string[] = [];
  for (const memoryMb of [TARGET_MB, deployedMb]) {
    const flags = lambdaHeapFlags(memoryMb);
    const peaks: Peak[] = [];
    let failure: string | undefined;
    for (let run = 0; run < runs && failure === undefined; run++) {
      const peak = await runHarness(harness, flags, batchFile, writer);
      if (typeof peak === 'string') failure = peak;
      else peaks.push(peak);
    }
    const what = `packets writer bundle on ${largest.length} messages (${(bytes / 1e6).toFixed(1)} MB, the 6 MB event limit), as a ${memoryMb} MB function (${flags.join(' ')}): peak RSS`;
    const target = memoryMb === TARGET_MB ? `<= ${TARGET_MB} MB` : '';
    if (failure !== undefined) {
      // A writer that crashed or ran past the limit is a finding of its own, not the end of the run.
      rows.push(`| 7 memory | ${what} | no figure: ${failure} |  |  | ${target} | ${memoryMb === TARGET_MB ? '**missed**' : ''} |`);
      continue;
    }
    const peak = measure(peaks.map((p) => p.peakMb));
    const baseline = measure(peaks.map((p) => p.baselineMb));
    const failed = peaks.reduce((sum, p) => sum + p.failures, 0);
    const seconds = measure(peaks.map((p) => p.ms / 1000));
    const met = memoryMb === TARGET_MB ? (peak.max <= TARGET_MB && failed === 0 ? 'met' : '**missed**') : '';
    rows.push(`| 7 memory | ${what}; stored in ${show(seconds, ' s')}, ${failed} failed | ${show(peak, ' MB')} | ${show(baseline, ' MB')} before the handler ran |  | ${target} | ${met} |`);
  }
  return rows;
}

if (isEntryPoint(import.meta.url)) {
  await runSectionAlone(async (endpoints) => {
    const runtime = await startQuietRuntime(endpoints);
    try {
      return await writerMemoryRows(Number(process.env.BENCH_RUNS ?? 3));
    } finally {
      await runtime.stop();
    }
  });
}
