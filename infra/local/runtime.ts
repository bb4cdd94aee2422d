import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { parseKeyList } from '../../functions/auth/api-keys.ts';
import { parseCertScopes } from '../../functions/auth/client-certs.ts';
import { startEmulators, type Emulators, type Endpoints } from './emulators.ts';
import type { LocalAuthorizer } from './gateway-authorizer.ts';
import { buildRoutes } from './gateway-routes.ts';
import { startHttpGateway } from './http-gateway.ts';
import { loadFunction, type LocalFunction } from './lambda.ts';
import { createResources, resolveIntrinsic, type CreatedResources, type ResourceOverrides } from './resources.ts';
import { Scheduler } from './scheduler.ts';
import { loadServiceConfig, type ServiceConfig } from './service-config.ts';
import { SqsPoller } from './sqs-poller.ts';
import { StreamPoller } from './stream-poller.ts';
import { startWebsocketGateway, type WebsocketGateway } from './websocket-gateway.ts';
import { startFaultProxy, type FaultProxy, type FaultRates } from './fault-proxy.ts';
import { meterSqs } from '../../functions/shared/usage-meter.ts';
import { ensureServerCertificate, readCaBundle } from './tls.ts';

export interface FaultOptions {
  /** Faults between the functions (and pollers) and each emulator. */
  dynamodb?: FaultRates;
  sqs?: FaultRates;
  /** Share of invocations of queue consumers that crash part-way: nothing is acknowledged. */
  crashRate?: number;
}

export const PROJECT_ROOT = resolve(fileURLToPath(import.meta.url), '../../..');

export interface LocalRuntimeOptions {
  port?: number;
  host?: string;
  stage?: string;
  /** Where DynamoDB Local and fauxqs keep their state; ':memory:' or undefined for none. */
  dataDir?: string;
  /** Another serverless.yml (tests use fixtures); handler paths are relative to root. */
  configFile?: string;
  root?: string;
  /** Use these emulators instead of starting new ones. */
  endpoints?: Endpoints | { all: string };
  clockSpeed?: number;
  pollerConcurrency?: number;
  /** false: create the queues but poll none (tests that drive a writer by hand). */
  sqsEventSources?: boolean;
  /** false: fire no schedule (tests that must see only their own data). */
  schedules?: boolean;
  /** false: read no DynamoDB Stream into its functions. */
  streamEventSources?: boolean;
  /**
   * The WebSocket API's port (0: any free port); by default the next port after `port`, or
   * any free one when `port` is 0. Started only when serverless.yml declares websocket events.
   */
  websocketPort?: number;
  overrides?: ResourceOverrides;
  /** Fault injection for reliability tests; resources are created before faults start. */
  faults?: FaultOptions;
  /** Stage parameters over serverless.yml's (e.g. `{ simulator: 'on' }`), as `--param` at deploy. */
  params?: Record<string, string>;
  /** Extra environment for every function (set in this process, as handlers read process.env). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /**
   * Serve HTTPS beside HTTP on `port` (0: any free port), with the self-signed certificate
   * kept in `certDir` (created there on first use). With `clientCa` (a PEM bundle's path),
   * clients may authenticate with a certificate that chains to it (mutual TLS); the
   * functions' CLIENT_CERT_SCOPES maps certificate CNs to scopes.
   */
  https?: { port: number; certDir: string; clientCa?: string };
}

export interface LocalRuntime {
  url: string;
  /** The HTTPS listener and its certificate, when `https` was asked for. */
  httpsUrl?: string;
  certFile?: string;
  /** The WebSocket API (ws://host:port/<stage>), when serverless.yml declares one. */
  websocketUrl?: string;
  /** Where the SDK talks to: the emulators, or AWS_ENDPOINT_URL. */
  endpoints: Endpoints | { all: string };
  config: ServiceConfig;
  resources: CreatedResources;
  functions: Map<string, LocalFunction>;
  scheduler: Scheduler;
  faultProxies: { dynamodb?: FaultProxy; sqs?: FaultProxy };
  /** Change the share of queue-consumer invocations that crash (fault injection). */
  setCrashRate(rate: number): void;
  stop(): Promise<void>;
}

/**
 * Everything `npm start` runs: the emulators (unless AWS_ENDPOINT_URL points elsewhere),
 * the resources of serverless.yml, its HTTP routes, its SQS event sources and schedules,
 * all invoking the same handler modules that are deployed.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = options.root ?? PROJECT_ROOT;
  const stage = options.stage ?? 'local';
  const config = loadServiceConfig(options.configFile ?? resolve(root, 'serverless.yml'), { stage, params: options.params });
  // The authorizer parses the keys on each request: a bad list would start, then answer 500.
  const apiKeys = options.env?.API_KEYS ?? process.env.API_KEYS;
  if (apiKeys !== undefined && apiKeys !== '' && parseKeyList(apiKeys, { source: 'API_KEYS' }).length === 0) {
    throw new Error(`API_KEYS ("${apiKeys}") names no key; set key or key=scope+scope entries, comma-separated`);
  }
  const tls = prepareTls(options.https, options.env?.CLIENT_CERT_SCOPES ?? process.env.CLIENT_CERT_SCOPES);

  let emulators: Emulators | undefined;
  let endpoints = options.endpoints;
  if (endpoints === undefined && process.env.AWS_ENDPOINT_URL) endpoints = { all: process.env.AWS_ENDPOINT_URL };
  if (endpoints === undefined) {
    emulators = await startEmulators({ dataDir: options.dataDir === ':memory:' ? undefined : options.dataDir });
    endpoints = emulators.endpoints;
  }
  const cleanup: (() => Promise<void>)[] = [];
  try {
    configureSdkEnvironment(endpoints, config.region);
    // Fault proxies start healthy and turn faulty once the resources exist. Queue URLs name
    // the proxy, because the SDK sends each request to its queue URL's host.
    const faultProxies: LocalRuntime['faultProxies'] = {};
    if (options.faults !== undefined && !('all' in endpoints)) {
      if (options.faults.dynamodb) faultProxies.dynamodb = await startFaultProxy(endpoints.dynamodb, 'dynamodb', {});
      if (options.faults.sqs) faultProxies.sqs = await startFaultProxy(endpoints.sqs, 'sqs', {});
      cleanup.push(async () => {
        await faultProxies.dynamodb?.stop();
        await faultProxies.sqs?.stop();
      });
      endpoints = { sqs: faultProxies.sqs?.url ?? endpoints.sqs, dynamodb: faultProxies.dynamodb?.url ?? endpoints.dynamodb };
      configureSdkEnvironment(endpoints, config.region);
    }
    const setupSqs = new SQSClient({});
    const dynamodb = new DynamoDBClient({});
    const sqsEndpoint = 'all' in endpoints ? endpoints.all : endpoints.sqs;
    const resources = await createResources(config.resources, { sqs: setupSqs, dynamodb }, config.region, { sqsEndpoint, ...options.overrides });
    setupSqs.destroy();
    dynamodb.destroy();
    // The WebSocket API listens before the functions' environment is set: its URLs are part of it.
    let websocket: WebsocketGateway | undefined;
    if (config.functions.some((fn) => fn.websocket.length > 0)) {
      const port = options.port ?? 3000;
      websocket = await startWebsocketGateway({ host: options.host ?? '127.0.0.1', port: options.websocketPort ?? (port === 0 ? 0 : port + 1), stage, region: config.region, log });
      const gateway = websocket;
      cleanup.push(() => gateway.stop());
    }
    const restoreEnvironment = setFunctionEnvironment(config, resources, { ...liveEnvironment(websocket, options.env ?? {}), ...options.env });
    cleanup.push(async () => restoreEnvironment());
    if (options.faults?.dynamodb) faultProxies.dynamodb?.setRates(options.faults.dynamodb);
    if (options.faults?.sqs) faultProxies.sqs?.setRates(options.faults.sqs);
    // Created after any fault proxy, so that the event source mappings suffer the faults too.
    // Middleware built once per command type: the pollers make a request every few milliseconds.
    const sqs = new SQSClient({ cacheMiddleware: true });
    // Lambda's pollers receive and delete on the account's queue, billed like any request.
    meterSqs(sqs);
    cleanup.push(async () => sqs.destroy());

    const functions = new Map<string, LocalFunction>();
    for (const fn of config.functions) {
      functions.set(fn.name, await loadFunction(root, fn, `${config.service}-${stage}-${fn.name}`, config.region));
    }

    const pollers: SqsPoller[] = [];
    for (const fn of options.sqsEventSources === false ? [] : functions.values()) {
      for (const mapping of fn.config.sqs) {
        const arn = resolveIntrinsic(mapping.arn, resources);
        const queue = [...resources.queues.values()].find((q) => q.arn === arn);
        if (queue === undefined) throw new Error(`${fn.config.name}: sqs event names ${String(arn)}, which serverless.yml does not declare`);
        const poller = new SqsPoller(fn, queue, mapping, sqs, {
          region: config.region,
          concurrency: options.pollerConcurrency ?? 2,
          crashRate: options.faults?.crashRate ?? 0,
          log,
        });
        poller.start();
        pollers.push(poller);
      }
    }
    cleanup.push(async () => {
      await Promise.all(pollers.map((p) => p.stop()));
    });

    const streamPollers: StreamPoller[] = [];
    const streams = new DynamoDBStreamsClient({ cacheMiddleware: true, endpoint: 'all' in endpoints ? endpoints.all : endpoints.dynamodb });
    cleanup.push(async () => streams.destroy());
    cleanup.push(async () => {
      await Promise.all(streamPollers.map((p) => p.stop()));
    });
    for (const fn of options.streamEventSources === false ? [] : functions.values()) {
      for (const mapping of fn.config.stream.filter((m) => m.enabled)) {
        const arn = resolveIntrinsic(mapping.arn, resources);
        if (typeof arn !== 'string' || !arn.includes('/stream/')) throw new Error(`${fn.config.name}: stream event names ${JSON.stringify(arn)}, which is no table stream that serverless.yml declares`);
        const poller = new StreamPoller(fn, arn, mapping, streams, { region: config.region, log });
        await poller.start();
        streamPollers.push(poller);
      }
    }
    websocket?.setRoutes(new Map([...functions.values()].flatMap((fn) => fn.config.websocket.map((w) => [w.route, fn] as const))));

    const scheduler = new Scheduler({ region: config.region, clockSpeed: options.clockSpeed ?? 1, log });
    if (options.schedules !== false) for (const fn of functions.values()) fn.config.schedule.forEach((s, i) => scheduler.add(fn, s, i));
    cleanup.push(() => scheduler.stop());

    const authorizers = new Map<string, LocalAuthorizer>();
    for (const [name, authorizer] of config.authorizers) {
      const fn = functions.get(authorizer.functionName);
      if (fn === undefined) throw new Error(`authorizer ${name} names function ${authorizer.functionName}, which serverless.yml does not declare`);
      authorizers.set(name, { config: authorizer, fn, cache: new Map() });
    }
    const gateway = await startHttpGateway(buildRoutes([...functions.values()], authorizers), {
      host: options.host ?? '127.0.0.1',
      port: options.port ?? 3000,
      region: config.region,
      log,
      https: tls === undefined ? undefined : { port: tls.port, cert: tls.certificate.cert, key: tls.certificate.key, clientCa: tls.clientCa },
    });
    cleanup.push(() => closeServer(gateway.server));
    if (gateway.httpsServer !== undefined) {
      const httpsServer = gateway.httpsServer;
      cleanup.push(() => closeServer(httpsServer));
    }

    return {
      url: gateway.url,
      httpsUrl: gateway.httpsUrl,
      websocketUrl: websocket?.url,
      certFile: tls?.certificate.certFile,
      endpoints,
      config,
      resources,
      functions,
      scheduler,
      faultProxies,
      setCrashRate(rate: number) {
        for (const poller of pollers) poller.setCrashRate(rate);
      },
      async stop() {
        for (const step of cleanup.reverse()) await step();
        await emulators?.stop();
      },
    };
  } catch (error) {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await emulators?.stop();
    throw error;
  }
}

/**
 * The HTTPS listener's certificate and the mutual-TLS settings, checked before anything
 * starts: a CA bundle that cannot be read, or a CN list that is malformed, stops start-up
 * naming the problem, and so does one of CLIENT_CA and CLIENT_CERT_SCOPES without the other
 * (certificates nobody maps, or a mapping no certificate can reach).
 */
function prepareTls(https: LocalRuntimeOptions['https'], certScopes: string | undefined) {
  const scopesSet = certScopes !== undefined && certScopes !== '';
  if (scopesSet && parseCertScopes(certScopes, { source: 'CLIENT_CERT_SCOPES' }).size === 0) {
    throw new Error(`CLIENT_CERT_SCOPES ("${certScopes}") names no certificate CN; set CN=scope+scope entries, comma-separated`);
  }
  if (https === undefined) {
    if (scopesSet) throw new Error('CLIENT_CERT_SCOPES is set but HTTPS is off: client certificates need the HTTPS listener (HTTPS_PORT) and CLIENT_CA');
    return undefined;
  }
  if (https.clientCa !== undefined && !scopesSet) throw new Error('CLIENT_CA is set but CLIENT_CERT_SCOPES is not: no certificate CN would have a scope (e.g. CLIENT_CERT_SCOPES=router-1=ingest)');
  if (https.clientCa === undefined && scopesSet) throw new Error('CLIENT_CERT_SCOPES is set but CLIENT_CA is not: no client certificate could be verified');
  return {
    port: https.port,
    certificate: ensureServerCertificate(https.certDir),
    clientCa: https.clientCa === undefined ? undefined : readCaBundle(https.clientCa),
  };
}

/**
 * What serverless.yml's live functions take from resources that exist only once deployed:
 * the WebSocket API's URLs (from the framework's WebsocketsApi) and the token secret (a
 * generated Secrets Manager secret, which they read deployed). Locally they name the emulated
 * API, and the secret is LIVE_TOKEN_SECRET from the environment or one made at start, with no
 * Secrets Manager secret to read.
 */
function liveEnvironment(websocket: WebsocketGateway | undefined, env: Record<string, string>): Record<string, string> {
  if (websocket === undefined) return {};
  return {
    LIVE_WEBSOCKET_URL: websocket.url,
    LIVE_CONNECTIONS_ENDPOINT: websocket.connectionsEndpoint,
    LIVE_TOKEN_SECRET: env.LIVE_TOKEN_SECRET || process.env.LIVE_TOKEN_SECRET || randomBytes(32).toString('base64url'),
    LIVE_TOKEN_SECRET_ARN: '',
  };
}

/** Handlers never know where they run: the SDK reads its endpoints from the environment. */
function configureSdkEnvironment(endpoints: Endpoints | { all: string }, region: string): void {
  if ('all' in endpoints) {
    process.env.AWS_ENDPOINT_URL = endpoints.all;
  } else {
    process.env.AWS_ENDPOINT_URL_SQS = endpoints.sqs;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoints.dynamodb;
  }
  // The functions' clients are created on first use and read these then.
  process.env.AWS_REGION ??= region;
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}

/**
 * Functions share this process, so their environments merge into one; serverless.yml
 * must not give one variable two different values in two functions. Returns what puts
 * the process environment back, so that a runtime started after this one in the same
 * process resolves serverless.yml's ${env:...} from the caller's environment, not ours.
 */
function setFunctionEnvironment(config: ServiceConfig, resources: CreatedResources, extra: Record<string, string>): () => void {
  const merged = new Map<string, { value: string; fn: string }>();
  for (const fn of config.functions) {
    for (const [name, raw] of Object.entries(fn.environment)) {
      // Given by the runtime (or the caller): serverless.yml's value may name what only exists deployed.
      if (name in extra) continue;
      const value = String(resolveIntrinsic(raw, resources));
      const existing = merged.get(name);
      if (existing !== undefined && existing.value !== value) {
        throw new Error(`environment variable ${name} is "${existing.value}" in ${existing.fn} but "${value}" in ${fn.name}; the local runtime runs them in one process`);
      }
      merged.set(name, { value, fn: fn.name });
    }
  }
  const values = new Map<string, string>([...merged].map(([name, { value }]) => [name, value]));
  for (const [name, value] of Object.entries(extra)) values.set(name, value);
  const previous = new Map([...values.keys()].map((name) => [name, process.env[name]]));
  for (const [name, value] of values) process.env[name] = value;
  return () => {
    for (const [name, value] of previous) {
      // A variable another runtime has set since is that runtime's to restore.
      if (process.env[name] !== values.get(name)) continue;
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

async function closeServer(server: Server): Promise<void> {
  await new Promise<void>((resolveClose) => {
    server.close(() => resolveClose());
    server.closeAllConnections();
  });
}
