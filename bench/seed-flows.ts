// Section 11 of `npm run bench`, or alone: `node bench/seed-flows.ts`. The flow-log service
// netingest replaces (seed 003: Flask, in memory, not durable), run from a local copy of its
// public code, beside netingest: 20,000 flow records over 5 hours, POSTs of 1,000 from 4
// clients, until every hourly sum is exact. SEED003_DIR names the copy (the folder holding
// its src/); nothing of it is in this repository. Its pinned Flask goes into .venv-seeds.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort, type Endpoints } from '../infra/local/emulators.ts';
import { PROJECT_ROOT, startLocalRuntime } from '../infra/local/runtime.ts';
import { provideVirtualenv } from '../infra/python-venv.ts';
import { meteredUsage, meteringOn } from '../functions/shared/usage-meter.ts';
import { pendingPartition } from '../functions/flows/storage.ts';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { measure, show, sideBySide } from './stats.ts';
import { nextPage } from '../dashboard/src/next-page.ts';

const RECORDS = 20_000;
const HOURS = 5;
const PER_POST = 1_000;
const CLIENTS = 4;
const TARGET_RATIO = 10;
// On-demand list prices in us-east-1, as docs/scale-model.md states them.
const PRICE = { wru: 0.625 / 1e6, rru: 0.125 / 1e6, sqs: 0.4 / 1e6 };
const VENV = join(PROJECT_ROOT, '.venv-seeds');
const REQUIREMENTS = join(PROJECT_ROOT, 'bench/seeds/requirements-seed003.txt');

interface FlowRecord {
  src_app: string;
  dest_app: string;
  vpc_id: string;
  bytes_tx: number;
  bytes_rx: number;
  hour: number;
}

let hourBase = 600_000;

/** The workload of issue 17's comparison; bytes from 1 up, since the seed refuses 0. */
function workload(): FlowRecord[] {
  hourBase += HOURS;
  return Array.from({ length: RECORDS }, (_, i) => ({
    src_app: `app-${i % 97}`,
    dest_app: `svc-${i % 13}`,
    vpc_id: `vpc-${i % 3}`,
    bytes_tx: 1 + (i % 1000),
    bytes_rx: 1 + ((i * 7) % 1000),
    hour: hourBase + (i % HOURS),
  }));
}

const keyOf = (r: Pick<FlowRecord, 'src_app' | 'dest_app' | 'vpc_id'>) => `${r.src_app}|${r.dest_app}|${r.vpc_id}`;

function expectedSums(records: FlowRecord[]): Map<number, Map<string, [number, number]>> {
  const sums = new Map<number, Map<string, [number, number]>>();
  for (const r of records) {
    const hour = sums.get(r.hour) ?? new Map<string, [number, number]>();
    const [tx, rx] = hour.get(keyOf(r)) ?? [0, 0];
    hour.set(keyOf(r), [tx + r.bytes_tx, rx + r.bytes_rx]);
    sums.set(r.hour, hour);
  }
  return sums;
}

/** Seconds from the first POST until `rowsOf` answers every hour's sums exactly (or 120 s pass). */
async function timeToExactSums(records: FlowRecord[], post: (body: string) => Promise<number>, rowsOf: (hour: number) => Promise<FlowRecord[]>): Promise<number> {
  const expected = expectedSums(records);
  const bodies: string[] = [];
  for (let i = 0; i < records.length; i += PER_POST) bodies.push(JSON.stringify(records.slice(i, i + PER_POST)));
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (next < bodies.length) {
        const status = await post(bodies[next++] as string);
        if (status >= 300) throw new Error(`POST /flows answered ${status}`);
      }
    }),
  );
  const answered = performance.now();
  const deadline = started + 120_000;
  let reads = 0;
  for (;;) {
    reads += 1;
    let exact = true;
    for (const [hour, sums] of expected) {
      const rows = await rowsOf(hour);
      const got = new Map(rows.map((r) => [keyOf(r), [Number(r.bytes_tx), Number(r.bytes_rx)]]));
      if (got.size !== sums.size || [...sums].some(([key, [tx, rx]]) => got.get(key)?.[0] !== tx || got.get(key)?.[1] !== rx)) {
        exact = false;
        break;
      }
    }
    if (exact) {
      const seconds = (performance.now() - started) / 1000;
      // Where the time went (ingest or visibility), on stderr beside the table.
      process.stderr.write(`seed 003: all POSTs answered after ${((answered - started) / 1000).toFixed(2)} s, sums exact after ${seconds.toFixed(2)} s (${reads} reads of every hour)\n`);
      return seconds;
    }
    if (performance.now() > deadline) throw new Error('the hourly sums were not exact after 120 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The pinned Flask in .venv-seeds, made once and again when the requirements change. */
const seedPython = () => provideVirtualenv(VENV, REQUIREMENTS, { python: process.env.PYTHON ?? 'python3' }).python;

// The seed's main.py calls app.run(host='0.0.0.0', port=3000); this runs it unchanged but for
// the address: loopback only, on a free port.
const LAUNCHER = `
import os, runpy, sys, flask
src, loopback_port = sys.argv[1], int(sys.argv[2])
original = flask.Flask.run
flask.Flask.run = lambda self, host=None, port=None, **options: original(self, host='127.0.0.1', port=loopback_port, **options)
sys.path.insert(0, src)
os.chdir(src)
runpy.run_path(os.path.join(src, 'main.py'), run_name='__main__')
`;

async function startSeed(dir: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(seedPython(), ['-c', LAUNCHER, join(dir, 'src'), String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) break;
    if (await fetch(`${url}/flows?hour=1`).then(() => true, () => false)) return { url, process: child };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('the seed-003 service did not start');
}

export async function seedFlowsRows(endpoints: Endpoints, key: string, runs: number): Promise<string[]> {
  const dir = process.env.SEED003_DIR;
  if (dir === undefined || !existsSync(join(dir, 'src', 'main.py'))) {
    return ['| 11 seed 003 | flow logs to exact hourly sums, against the service it replaces | not run: SEED003_DIR names no copy of its code (a folder with src/main.py) | | | | |'];
  }
  const seed = await startSeed(resolve(dir));
  const runtime = await startLocalRuntime({ endpoints, port: 0, stage: 'benchseed', schedules: false, env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true' }, log: () => {} });
  const headers = { 'content-type': 'application/json' };
  try {
    const ours = async () =>
      timeToExactSums(
        workload(),
        async (body) => (await fetch(`${runtime.url}/flows`, { method: 'POST', headers: { ...headers, 'x-api-key': key }, body }).then(async (r) => (await r.arrayBuffer(), r.status))),
        async (hour) => {
          const rows: FlowRecord[] = [];
          for (let path: string | undefined = `/flows?hour=${hour}`; path !== undefined; ) {
            const response = await fetch(`${runtime.url}${path}`, { headers: { 'x-api-key': key } });
            rows.push(...((await response.json()) as FlowRecord[]));
            path = nextPage(response.headers.get('link'), path);
          }
          return rows;
        },
      );
    const theirs = async () =>
      timeToExactSums(
        workload(),
        async (body) => (await fetch(`${seed.url}/flows`, { method: 'POST', headers, body }).then(async (r) => (await r.arrayBuffer(), r.status))),
        async (hour) => (await (await fetch(`${seed.url}/flows?hour=${hour}`)).json()) as FlowRecord[],
      );
    await ours(); // warm-up: handlers compiled, SDK pools filled
    const [n, s] = await sideBySide(runs, ours, theirs);
    const [m, b] = [measure(n), measure(s)];
    const ratio = m.median / b.median;
    return [
      `| 11 seed 003 | ${RECORDS.toLocaleString('en-US')} flow records over ${HOURS} hours (POSTs of ${PER_POST}, ${CLIENTS} clients) to exact hourly sums, s | ${show(m, ' s')} | ${show(b, ' s')} seed 003 (Flask, in memory) | ${ratio.toFixed(1)} | <= ${TARGET_RATIO}x | ${ratio <= TARGET_RATIO ? 'met' : '**missed**'} |`,
      ...(meteringOn() ? [await flowCostRow(endpoints, key)] : []),
    ];
  } finally {
    seed.process.kill();
    await runtime.stop();
  }
}


/**
 * What the workload costs once it is folded: the same records posted to a runtime whose
 * folder folds every delta (FLOW_FOLD_AFTER=1), units counted from the first POST until no
 * delta is pending (writer, folder, and the reads that checked). Beside it, what a writer
 * with a transaction per key would be billed for the same messages: 2 units per action, an
 * action per distinct key and one marker per message (the design these deltas replaced).
 */
async function flowCostRow(endpoints: Endpoints, key: string): Promise<string> {
  const runtime = await startLocalRuntime({ endpoints, port: 0, stage: 'benchflowcost', schedules: false, env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true', FLOW_FOLD_AFTER: '1' }, log: () => {} });
  try {
    const records = workload();
    const before = { ...meteredUsage };
    const bodies: string[] = [];
    for (let i = 0; i < records.length; i += PER_POST) bodies.push(JSON.stringify(records.slice(i, i + PER_POST)));
    for (const body of bodies) {
      const response = await fetch(`${runtime.url}/flows`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body });
      if (response.status !== 202) throw new Error(`POST /flows answered ${response.status}`);
      await response.arrayBuffer();
    }
    const table = runtime.resources.tables.get('FlowsTable')?.name as string;
    const hours = [...new Set(records.map((r) => r.hour))];
    const deadline = performance.now() + 300_000;
    await new Promise((r) => setTimeout(r, 3_000)); // the writer's batches land before pending can read empty
    // Its own client: the functions' client counts units, and these reads are the benchmark's.
    const dynamodb = new DynamoDBClient({});
    const pendingIn = async (pk: string) =>
      (await dynamodb.send(new QueryCommand({ TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: pk } }, Select: 'COUNT' }))).Count ?? 0;
    for (;;) {
      const pending = (await Promise.all(hours.flatMap((h) => [0, 1, 2, 3].map((s) => pendingIn(pendingPartition(h, s)))))).reduce((a, b) => a + b, 0);
      if (pending === 0) break;
      if (performance.now() > deadline) throw new Error(`${pending} flow deltas still pending after 300 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    dynamodb.destroy();
    const perMillion = (n: number) => (n / records.length) * 1e6;
    const [wru, rru, sqs] = [perMillion(meteredUsage.writeUnits - before.writeUnits), perMillion(meteredUsage.readUnits - before.readUnits), perMillion(meteredUsage.sqsRequests - before.sqsRequests)];
    const keysPerMessage = bodies.map((b) => new Set((JSON.parse(b) as FlowRecord[]).map((r) => `${r.hour}|${keyOf(r)}`)).size);
    const perKeyWru = perMillion(keysPerMessage.reduce((n, k) => n + 2 * (k + 1), 0));
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    return `| 11 seed 003 | the same records, per million, once every delta is folded: DynamoDB write units, read units (as DynamoDB Local reports them; transactions at 2 units per action) and SQS requests | ${fmt(wru)} WRU, ${fmt(rru)} RRU, ${fmt(sqs)} requests ($${(wru * PRICE.wru + rru * PRICE.rru + sqs * PRICE.sqs).toFixed(2)}) | ${fmt(perKeyWru)} WRU ($${(perKeyWru * PRICE.wru).toFixed(2)}) a transaction per key, computed | ${(wru / perKeyWru).toFixed(2)} | | |`;
  } finally {
    await runtime.stop();
  }
}

if (isEntryPoint(import.meta.url)) process.env.NETINGEST_METER_USAGE = 'true';
if (isEntryPoint(import.meta.url)) await runSectionAlone((endpoints) => seedFlowsRows(endpoints, 'bench-key', Number(process.env.BENCH_RUNS ?? 3)));
