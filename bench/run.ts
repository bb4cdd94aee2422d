// `npm run bench`: the pipeline measured against what it runs on, every figure the median of
// BENCH_RUNS runs (default 3) with its range, every comparison measured side by side.
// Writes the table to bench/results.md. Never part of `npm test`.
import { spawn } from 'node:child_process';
import { cpus, availableParallelism, tmpdir } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulators } from '../infra/local/emulators.ts';
import { TABLE_HEADER, startQuietRuntime } from './section-alone.ts';
import { startLocalRuntime } from '../infra/local/runtime.ts';
import { coldStartRows } from './cold-start.ts';
import { writerMemoryRows } from './writer-memory.ts';
import { endToEndRun } from './end-to-end.ts';
import { captureWorkload, packets } from './fixtures.ts';
import { handlerCpuRun } from './handler-cpu.ts';
import { livePushRows, livePushRun } from './live-push.ts';
import { steadyLatencyRows, steadyLatencyRun } from './steady-latency.ts';
import { seedFlowsRows } from './seed-flows.ts';
import { ingestAndWriteRows } from './ingest-and-write.ts';
import { measure, percentile, show, type Measure } from './stats.ts';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const KEY = 'bench-key';
const rows: string[] = [];
const row = (section: string, what: string, value: string, baseline: string, ratio: string, target: string, met: boolean | undefined) =>
  rows.push(`| ${section} | ${what} | ${value} | ${baseline} | ${ratio} | ${target} | ${met === undefined ? '' : met ? 'met' : '**missed**'} |`);
const ratioOf = (a: Measure, b: Measure) => a.median / b.median;
const log = (line: string) => process.stderr.write(`${line}\n`);

// The functions' SDK clients count request units and requests from their creation (section 8's cost rows).
process.env.NETINGEST_METER_USAGE = 'true';

// 12 and 8 run first, each in a process and on emulators of its own, before this process
// starts its own: with the other sections' emulators idle beside them, holding every
// table they loaded, section 12's POSTs of 100 gave 2.86x in a full run against 3.72-3.81x
// alone. Their rows keep their places in the table.
// 12: the seed-000 packet server side by side (bench/seed-packets.ts; SEED000_DIR), unmetered,
// as deployed: it reports no units, and ReturnConsumedCapacity on every call slowed
// netingest's POSTs of 100 by about a quarter (1,300-1,540 against 1,810-2,170 packets/s in
// the 4th to 6th of six runs, each setting in a process of its own).
log('seed 000');
const seed000Rows = await sectionInOwnProcess('bench/seed-packets.ts', '| 12 seed 000', { metered: false });
// 8: hot items (bench/hot-items.ts): one host pair, a new MAC pair per packet, the samples.
// On emulators of its own (SDK clients are made once per process): after sections 1-3 and
// 9-11, DynamoDB Local (one JVM, in memory, every stage's tables and streams) once stopped
// answering for minutes in workload (b).
log('hot items');
const hotItemRows = await sectionInOwnProcess('bench/hot-items.ts', '| 8 hot items');
// 6: reads with 1,000 and with 100,000 records per table (bench/reads.ts), unmetered, on
// emulators of its own: its 300,000 records slowed the sections that came after it here.
log('reads');
const readRows = await sectionInOwnProcess('bench/reads.ts', '| 6 reads', { metered: false });

const emulators = await startEmulators();
process.env.API_KEYS = KEY;
try {
  // 1 and 2: ingest and write against their raw ceilings (bench/ingest-and-write.ts).
  const ingestAndWrite = await ingestAndWriteRows(emulators.endpoints, KEY, RUNS, log);
  rows.push(...ingestAndWrite.rows);

  // 3: end to end through the pollers.
  log('end to end');
  // No stream pollers: section 3 needs none, and their GetRecords calls halve what DynamoDB
  // Local writes (15,000 preloaded items: 3,400-4,100 items/s with them, 7,200-7,500 without).
  const endToEndRuntime = { port: 0, stage: 'benchlive', schedules: false, streamEventSources: false, log: () => {} };
  const live = await startLocalRuntime({ endpoints: emulators.endpoints, ...endToEndRuntime });
  // Beside it, alternately, the same on emulators that keep their data on disk, as `npm start`
  // does by default (DATA_DIR): what a developer sees, against the in-memory figure above.
  const diskDir = mkdtempSync(join(tmpdir(), 'netingest-bench-data-'));
  const onDisk = await startEmulators({ dataDir: diskDir });
  const diskRuntime = await startLocalRuntime({ endpoints: onDisk.endpoints, ...endToEndRuntime });
  const e2e: number[] = [];
  const delays: number[] = [];
  const e2eOnDisk: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      const run = await endToEndRun(live, KEY);
      e2e.push(run.rate);
      delays.push(...run.delays);
      e2eOnDisk.push((await endToEndRun(diskRuntime, KEY)).rate);
    }
  } finally {
    await diskRuntime.stop();
    await onDisk.stop();
    rmSync(diskDir, { recursive: true, force: true });
  }
  const e = measure(e2e);
  const ceiling = ingestAndWrite.writeCeiling;
  row('3 end to end', 'packets POST -> visible in /packets/tables/all, packets/s', show(e), `${show(ceiling)} write ceiling`, ratioOf(e, ceiling).toFixed(2), '>= 0.5', ratioOf(e, ceiling) >= 0.5);
  row('3 end to end', 'delay from 202 to visible, p50 / p99', `${Math.round(percentile(delays, 50))} / ${Math.round(percentile(delays, 99))} ms`, '', '', '', undefined);
  const d = measure(e2eOnDisk);
  row('3 end to end', "the same with the emulators' data on disk (`npm start`'s default DATA_DIR), runs alternating with the row above, packets/s", show(d), `${show(e)} in memory (above)`, ratioOf(d, e).toFixed(2), '', undefined);
  // The same path with the packets `npm run import` makes of a capture (BENCH_CAPTURE, or one
  // written from the catalogue of real frames): real layer mixes instead of ten samples.
  log('end to end: real capture');
  const capture = await captureWorkload();
  const captureRates: number[] = [];
  const captureDelays: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const run = await endToEndRun(live, KEY, 20, 500, capture);
    captureRates.push(run.rate);
    captureDelays.push(...run.delays);
  }
  const captured = measure(captureRates);
  row('3 end to end', 'real capture: packets POST -> visible, packets/s', show(captured), `${show(ceiling)} write ceiling (samples)`, ratioOf(captured, ceiling).toFixed(2), '', undefined);
  row('3 end to end', 'real capture: delay from 202 to visible, p50 / p99', `${Math.round(percentile(captureDelays, 50))} / ${Math.round(percentile(captureDelays, 99))} ms`, '', '', '', undefined);
  const runtimeRss = process.resourceUsage().maxRSS / 1024;
  await live.stop();

  // 9: live push (bench/live-push.ts): 100 connections, 20 updates.
  log('live push');
  rows.push(...livePushRows(await livePushRun(emulators.endpoints, KEY)));

  // 10: steady load (bench/steady-latency.ts): half the write ceiling held for a minute.
  log('steady load');
  rows.push(...steadyLatencyRows(await steadyLatencyRun(emulators.endpoints, KEY)));

  // 11: the seed-003 flow-log service side by side (bench/seed-flows.ts; SEED003_DIR).
  log('seed 003');
  rows.push(...(await seedFlowsRows(emulators.endpoints, KEY, RUNS)));

  // 12 and 8, run first (see above).
  rows.push(...seed000Rows, ...hotItemRows);

  // 6: reads with 1,000 and with 100,000 records stored, run first (see above).
  rows.push(...readRows);

  // 4: handler CPU, no emulator involved.
  log('handler cpu');
  handlerCpuRun(); // warm-up: a Lambda container serves many requests after its first
  const cpu = measure(Array.from({ length: RUNS }, () => handlerCpuRun()));
  row('4 handler CPU', 'parse + validate + pack, packets/s on one core', show(cpu), '', '', '>= 50,000', cpu.median >= 50_000);

  // 5 and 7 run functions in processes of their own against the tables and queues of a
  // runtime that polls nothing: its pollers would take up what those functions send and
  // write while they are timed (the ingest baselines' probes went to its packets writer and
  // were dead-lettered, 135 a run).
  const quiet = await startQuietRuntime(emulators.endpoints);
  try {
    // 5: bundles and cold starts, each against a minimal handler bundled the same way.
    log('cold starts');
    rows.push(...(await coldStartRows(RUNS)));

    // 7: memory.
    log('memory');
    rows.push(...(await writerMemoryRows(RUNS)));
  } finally {
    await quiet.stop();
  }
  row('7 memory', 'local runtime with emulated SQS, peak RSS under load (sections 1-3)', `${runtimeRss.toFixed(0)} MB`, '', '', '', undefined);
} finally {
  await emulators.stop();
}

const cpu = cpus()[0]?.model ?? 'unknown CPU';
const header = [
  '# Benchmark results',
  '',
  `${new Date().toISOString().slice(0, 10)} on ${availableParallelism()} cores (${cpu}), Node ${process.version}, ${RUNS} runs per figure: median (min–max).`,
  'Ratios compare figures measured side by side in the same run; absolute numbers vary with the machine.',
  '',
  ...TABLE_HEADER,
];
const table = [...header, ...rows, ''].join('\n');
writeFileSync('bench/results.md', table);
console.log(table);

/** The rows a section prints when run alone (`node <script>`), run in a process of its own. */
async function sectionInOwnProcess(script: string, prefix: string, options: { metered: boolean } = { metered: true }): Promise<string[]> {
  const { NETINGEST_METER_USAGE: _metering, ...unmetered } = process.env;
  const child = spawn(process.execPath, [script], { env: { ...(options.metered ? process.env : unmetered), BENCH_RUNS: String(RUNS) }, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolveExit) => child.on('close', resolveExit));
  const rows = output.split('\n').filter((line) => line.startsWith(prefix));
  // A section that fails leaves a row saying so (its error is on stderr), not a run without results.md.
  if (code !== 0 || rows.length === 0) return [`${prefix} | no figure: ${script} ended with ${code} after ${rows.length} rows (see its error output) | | | | | |`];
  return rows;
}
