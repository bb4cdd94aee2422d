import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { packRecords } from '../functions/shared/queue-envelope.ts';
import { decodeNotification } from '../functions/notifications/decode.ts';
import { normalizeNotification } from '../functions/notifications/notification.ts';
import { PENDING_PREFIX } from '../functions/flows/storage.ts';
import { devicePartition, PACKET_SIGHTING_PREFIX } from '../functions/devices/storage.ts';
import { issueToken } from '../functions/live/token.ts';
import { deployedBuildOptions } from '../infra/deployed-build.ts';
import { loadServiceConfig, type FunctionConfig } from '../infra/local/service-config.ts';
import { PROJECT_ROOT } from '../infra/local/runtime.ts';
import { oneAtATimeEnv } from '../infra/local/invoke-store.ts';
import { isEntryPoint, runSectionAlone, startQuietRuntime } from './section-alone.ts';
import { measure, show } from './stats.ts';
import { flows, packets, seedNotificationJson, sqsEvent } from './fixtures.ts';

const OUT = '/tmp/netingest-bench-bundles';

/** A deployment bundle: its file, its size, and the AWS SDK clients in it (client-dynamodb, client-sqs, ...). */
export interface Bundle {
  file: string;
  bytes: number;
  clients: string[];
}

/** Bundles a handler the way serverless-esbuild does for deployment. */
export async function bundle(entry: string, name: string): Promise<Bundle> {
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `${name}.js`);
  const { metafile } = await build({ ...deployedBuildOptions(), entryPoints: [entry], outfile: file, logLevel: 'silent', metafile: true });
  const clients = new Set(Object.keys(metafile.inputs).flatMap((input) => /@aws-sdk\/(client-[a-z-]+)\//.exec(input)?.[1] ?? []));
  return { file, bytes: statSync(file).size, clients: [...clients].sort() };
}

/**
 * Minimal handlers (bench/minimal/), bundled the same way, one per set of SDK clients a
 * function bundles: each imports those clients and makes one call with the one a function's
 * first invocation uses (the others are made on first use, as the functions make them), so
 * that a function's cold start is compared with the least any function using the same
 * clients costs.
 */
export type MinimalKind = 'none' | 'ssm' | 'secretsmanager' | 'dynamodb' | 'dynamodb-secretsmanager' | 'dynamodb-sqs' | 'sqs-dynamodb' | 'dynamodb-apigateway';

export async function minimalBundle(kind: MinimalKind): Promise<Bundle> {
  return bundle(`bench/minimal/${kind}.ts`, `minimal-${kind}`);
}

/** The minimal handler a function is compared with: the SDK clients in its bundle, and which its first invocation calls. */
export function minimalKindOf(fn: FunctionConfig, built: Bundle): MinimalKind {
  const clients = built.clients.join(' ');
  switch (clients) {
    case '':
      return 'none';
    case 'client-ssm':
      return 'ssm';
    case 'client-secrets-manager':
      return 'secretsmanager';
    case 'client-dynamodb client-secrets-manager':
      return 'dynamodb-secretsmanager';
    case 'client-dynamodb':
      return 'dynamodb';
    case 'client-dynamodb client-sqs':
      // Ingest queues its records first; a writer stores them.
      return fn.name.endsWith('Ingest') ? 'sqs-dynamodb' : 'dynamodb-sqs';
    case 'client-apigatewaymanagementapi client-dynamodb':
      return 'dynamodb-apigateway';
    default:
      throw new Error(`${fn.name} bundles ${clients}: no minimal handler in bench/minimal/ uses those SDK clients`);
  }
}

const BODIES: Record<string, [string, string]> = {
  '/packets': ['application/json', JSON.stringify(packets(1))],
  '/flows': ['application/json', JSON.stringify(flows(1, 1))],
  '/relay-notification': ['application/yang-data+json', seedNotificationJson],
  '/devices': ['application/json', readFileSync('events/devices/inventory.json', 'utf8')],
  '/netify': ['application/x-ndjson', readFileSync('events/netify/agent.ndjson', 'utf8')],
};

/** A representative first event for a function: its first route, its queue's message, a record of its stream, a WebSocket connection, or its schedule. */
export function firstEvent(fn: FunctionConfig): unknown {
  const route = fn.httpApi[0];
  if (fn.name === 'authorizer') {
    return { version: '2.0', type: 'REQUEST', routeKey: 'GET /health', headers: { 'x-api-key': 'bench-key' }, requestContext: { http: { method: 'GET' } } };
  }
  if (route !== undefined) {
    const path = route.path.replace('{protocol}', 'IPv4').replace('{mac}', '02:00:00:00:00:01');
    const [type, body] = BODIES[route.path] ?? [undefined, undefined];
    return {
      version: '2.0',
      routeKey: `${route.method} ${route.path}`,
      rawPath: path,
      rawQueryString: route.path === '/flows' ? 'hour=1' : route.path.includes('view') ? 'ProtocolName=IPv4' : '',
      headers: type ? { 'content-type': type } : {},
      pathParameters: route.path.includes('{') ? { protocol: 'IPv4', mac: '02:00:00:00:00:01' } : undefined,
      requestContext: { http: { method: route.method, path, sourceIp: '127.0.0.1' }, timeEpoch: Date.now(), routeKey: `${route.method} ${route.path}` },
      body,
      isBase64Encoded: false,
    };
  }
  if (fn.sqs.length > 0) {
    const kind = fn.name.replace('Writer', '');
    // Packets sniffed and a notification sent just now, as a new sandbox's first batch carries:
    // the same times again would be a redelivery, whose devices and readings stay as stored.
    const records = kind === 'packets' ? packets(10, Date.now() / 1000) : kind === 'flows' ? flows(10, 1) : kind === 'devices' ? JSON.parse(BODIES['/devices']?.[1] as string) : [];
    const sentNow = seedNotificationJson.replace(/"eventTime": "[^"]*"/, `"eventTime": "${new Date().toISOString()}"`);
    const notification = [normalizeNotification(decodeNotification(sentNow, 'json'), 'json', '127.0.0.1')];
    const body = packRecords(kind === 'devices' ? 'inventory' : kind, kind === 'notifications' ? notification : records)[0]?.body as string;
    return sqsEvent([body]);
  }
  if (fn.stream.length > 0) return streamEvent(STREAM_KEYS[fn.name] ?? (() => ({ pk: 'bench', sk: randomUUID() })));
  if (fn.websocket.length > 0) {
    // A browser connecting with the token GET /live issued: the route that stores a connection.
    const token = issueToken(process.env.LIVE_TOKEN_SECRET ?? '').token;
    return { requestContext: { routeKey: '$connect', connectionId: `bench-${randomUUID()}`, eventType: 'CONNECT' }, queryStringParameters: { token }, isBase64Encoded: false };
  }
  return { version: '0', id: 'bench', 'detail-type': 'Scheduled Event', source: 'aws.events', time: new Date().toISOString(), detail: {} };
}

/** The keys of the item a stream-fed function's first record names: the kind of item it acts on. */
const STREAM_KEYS: Record<string, () => { pk: string; sk: string }> = {
  // A delta the flows writer put in an hour shard's pending partition.
  flowsFolder: () => ({ pk: `${PENDING_PREFIX}500000#0`, sk: randomUUID() }),
  // A device's sighting in a crowded packets message.
  devicesFolder: () => ({ pk: devicePartition('02:00:00:00:00:01'), sk: `${PACKET_SIGHTING_PREFIX}${randomUUID()}` }),
  // A change to a device, which every open connection is told of.
  liveBroadcaster: () => ({ pk: devicePartition('02:00:00:00:00:01'), sk: 'profile' }),
};

/** A DynamoDB stream event of one new item, as Lambda delivers it from a table's stream. */
function streamEvent(keysOf: () => { pk: string; sk: string }): unknown {
  const { pk, sk } = keysOf();
  return {
    Records: [
      {
        eventID: randomUUID(),
        eventName: 'INSERT',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'us-east-1',
        dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } }, SequenceNumber: String(Date.now()), SizeBytes: 100, StreamViewType: 'KEYS_ONLY' },
        eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/bench/stream/2026-01-01T00:00:00.000',
      },
    ],
  };
}

/** A function's start in a fresh Node process, in ms. */
export type Start = { importMs: number; firstMs: number; warmMs: number };

/**
 * What being cold costs: the import, and how much longer the first invocation takes than a
 * warm one doing the same work (the faster of two more invocations, each on a fresh event
 * of its own, so that a writer stores new messages rather than finding its markers).
 */
export const coldCost = (start: Start): number => start.importMs + Math.max(0, start.firstMs - start.warmMs);

/**
 * Imports a bundle in a fresh Node process and invokes it with each event in turn.
 * Asynchronous, so that the emulators this process started (fauxqs on a thread of it) keep serving the function.
 */
export async function coldStart(file: string, events: [unknown, unknown, unknown], env: NodeJS.ProcessEnv): Promise<Start> {
  const eventFile = `${file}.events.json`;
  writeFileSync(eventFile, JSON.stringify(events));
  const script = `
    const t0 = performance.now();
    const m = require(${JSON.stringify(resolve(file))});
    const importMs = performance.now() - t0;
    const events = JSON.parse(require('fs').readFileSync(${JSON.stringify(eventFile)}, 'utf8'));
    const context = { getRemainingTimeInMillis: () => 10000, functionName: 'bench', awsRequestId: 'bench' };
    (async () => {
      const times = [];
      for (const event of events) {
        const t = performance.now();
        await Promise.resolve(m.handler(event, context)).catch(() => undefined);
        times.push(performance.now() - t);
      }
      console.log(JSON.stringify({ importMs, firstMs: times[0], warmMs: Math.min(times[1], times[2]) }));
      process.exit(0);
    })();`;
  const child = spawn(process.execPath, ['-e', script], { env, timeout: 30_000 });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise((resolveExit) => child.on('close', resolveExit));
  try {
    return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Start;
  } catch {
    throw new Error(`cold start of ${file} failed: ${stderr.slice(0, 500)}`);
  }
}

/**
 * Starts per run, each function's alternating with its minimal handler's: one start is a
 * single noisy sample (the same function's ratio went from 1.19 to 1.56 between two runs of
 * 3 starts each), and a start takes under half a second.
 */
const STARTS_PER_RUN = 3;
/** Issue targets: a bundle at most 650 KB, a cold start at most 1.5x the minimal handler of its kind. */
const MAX_BUNDLE_KB = 650;
const MAX_RATIO = 1.5;

/**
 * Section 5: every function's deployed bundle, its size and its import + first invocation,
 * side by side with the minimal handler using the same SDK clients, STARTS_PER_RUN x runs
 * starts each (medians). The functions' environment (tables, queues) is the one a local
 * runtime of stage benchlive gives this process.
 */
export async function coldStartRows(runs: number): Promise<string[]> {
  const config = loadServiceConfig(`${PROJECT_ROOT}/serverless.yml`, { stage: 'benchlive' });
  const minimal = new Map<MinimalKind, Bundle>();
  const childEnv = oneAtATimeEnv();
  const rows: string[] = [];
  for (const fn of config.functions) {
    const entry = `${PROJECT_ROOT}/${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.ts`;
    const built = await bundle(entry, fn.name);
    const kind = minimalKindOf(fn, built);
    if (!minimal.has(kind)) minimal.set(kind, await minimalBundle(kind));
    const baseline = minimal.get(kind) as Bundle;
    const theirs: Start[] = [];
    const base: Start[] = [];
    // Alternately, so that both see the same machine noise.
    for (let start = 0; start < runs * STARTS_PER_RUN; start++) {
      theirs.push(await coldStart(built.file, [firstEvent(fn), firstEvent(fn), firstEvent(fn)], childEnv));
      base.push(await coldStart(baseline.file, [{}, {}, {}], childEnv));
    }
    const [t, b] = [measure(theirs.map(coldCost)), measure(base.map(coldCost))];
    const part = (starts: Start[], key: keyof Start) => measure(starts.map((start) => start[key])).median.toFixed(1);
    const parts = (starts: Start[]) => `import ${part(starts, 'importMs')} ms, first invocation ${part(starts, 'firstMs')} ms, warm ${part(starts, 'warmMs')} ms`;
    const kb = built.bytes / 1024;
    const ratio = t.median / b.median;
    const met = kb <= MAX_BUNDLE_KB && ratio <= MAX_RATIO;
    rows.push(
      `| 5 cold start | ${fn.name}: bundle ${kb.toFixed(0)} KB; ${parts(theirs)}; import + (first - warm), ${runs * STARTS_PER_RUN} starts | ${show(t, ' ms')} | ${show(b, ' ms')} minimal ${kind} (${(baseline.bytes / 1024).toFixed(0)} KB; ${parts(base)}) | ${ratio.toFixed(2)} | <= ${MAX_BUNDLE_KB} KB, <= ${MAX_RATIO}x | ${met ? 'met' : '**missed**'} |`,
    );
  }
  return rows;
}

if (isEntryPoint(import.meta.url)) {
  await runSectionAlone(async (endpoints) => {
    process.env.API_KEYS ??= 'bench-key';
    const runtime = await startQuietRuntime(endpoints);
    try {
      return await coldStartRows(Number(process.env.BENCH_RUNS ?? 3));
    } finally {
      await runtime.stop();
    }
  });
}
