import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayEventClientCertificate, APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from '../../functions/shared/errors.ts';
import { errorResult } from '../../functions/shared/http-response.ts';
import type { LocalFunction } from './lambda.ts';
import type { AuthorizerConfig } from './service-config.ts';
import { clientCertificate } from './tls.ts';

export interface LocalAuthorizer {
  config: AuthorizerConfig;
  fn: LocalFunction;
  cache: Map<string, { expires: number; result: AuthorizerResult }>;
}

interface AuthorizerResult {
  isAuthorized: boolean;
  context?: Record<string, unknown>;
}

/** API Gateway HTTP API's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface Route {
  method: string;
  path: string;
  routeKey: string;
  segments: string[];
  fn: LocalFunction;
  authorizer?: LocalAuthorizer;
}

export function buildRoutes(functions: LocalFunction[], authorizers: Map<string, LocalAuthorizer> = new Map()): Route[] {
  const routes = functions.flatMap((fn) =>
    fn.config.httpApi.map((event) => {
      const method = event.method === '*' || event.method === 'ANY' ? 'ANY' : event.method;
      const routeKey = event.path === '*' ? '$default' : `${method} ${event.path}`;
      const authorizer = event.authorizer === undefined ? undefined : authorizers.get(event.authorizer);
      if (event.authorizer !== undefined && authorizer === undefined) {
        throw new Error(`${fn.config.name}: route ${routeKey} names authorizer "${event.authorizer}", which provider.httpApi.authorizers does not declare`);
      }
      return { method, path: event.path, routeKey, segments: event.path.split('/').filter(Boolean), fn, authorizer };
    }),
  );
  // API Gateway prefers the most specific route: static segments over {params}, over {greedy+}.
  return routes.sort((a, b) => specificity(b) - specificity(a));
}

function specificity(route: Route): number {
  if (route.routeKey === '$default') return -1;
  return route.segments.reduce((score, s) => score * 3 + (s.endsWith('+}') ? 0 : s.startsWith('{') ? 1 : 2), 1) + route.segments.length * 1e9;
}

export function matchRoute(routes: Route[], method: string, path: string): { route: Route; pathParameters: Record<string, string> } | undefined {
  const parts = path.split('/').filter(Boolean);
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    if (route.routeKey === '$default') return { route, pathParameters: {} };
    const params = matchSegments(route.segments, parts);
    if (params !== undefined) return { route, pathParameters: params };
  }
  return undefined;
}

function matchSegments(segments: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as string;
    if (segment.startsWith('{') && segment.endsWith('+}')) {
      if (i >= parts.length) return undefined;
      params[segment.slice(1, -2)] = parts.slice(i).join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.startsWith('{')) params[segment.slice(1, -1)] = part;
    else if (segment !== part) return undefined;
  }
  return segments.length === parts.length ? params : undefined;
}

export interface GatewayOptions {
  host: string;
  port: number;
  region: string;
  log: (line: string) => void;
  /** Also serve HTTPS with this certificate; with `clientCa`, request client certificates (mutual TLS). */
  https?: { port: number; cert: Buffer; key: Buffer; clientCa?: Buffer };
}

export interface Gateway {
  server: Server;
  url: string;
  httpsServer?: Server;
  httpsUrl?: string;
}

/**
 * Serves every httpApi route the way API Gateway's HTTP API (payload 2.0) does, over HTTP
 * and, when asked, over HTTPS beside it (API Gateway itself is HTTPS only).
 */
export async function startHttpGateway(routes: Route[], options: GatewayOptions): Promise<Gateway> {
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res, routes, options).catch((error) => {
      options.log(`gateway error: ${(error as Error).stack ?? error}`);
      if (!res.headersSent) sendError(res, 500, 'internal_error', 'internal error');
    });
  };
  const server = createServer(listener);
  const url = `http://${urlHost(options.host)}:${await listen(server, options.port, options.host)}`;
  if (options.https === undefined) return { server, url };
  const { cert, key, clientCa } = options.https;
  // A client certificate is asked for but not required, so that clients with an API key
  // (Basic, Bearer, x-api-key) still connect; one that does not chain to CLIENT_CA is refused
  // per request (401), before any route runs.
  const httpsServer = createHttpsServer({ cert, key, ca: clientCa, requestCert: clientCa !== undefined, rejectUnauthorized: false }, listener);
  try {
    const httpsPort = await listen(httpsServer, options.https.port, options.host);
    return { server, url, httpsServer, httpsUrl: `https://${urlHost(options.host)}:${httpsPort}` };
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
}

async function listen(server: Server, port: number, host: string): Promise<number> {
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Mutual TLS as API Gateway does it: a certificate that does not chain to the truststore
 * is refused (API Gateway at the handshake, here with 401); a verified one reaches the
 * authorizer and the route in requestContext.authentication.clientCert.
 */
function clientCertOf(req: IncomingMessage): { cert?: APIGatewayEventClientCertificate; refused?: string } {
  const socket = req.socket as Partial<TLSSocket>;
  if (socket.encrypted !== true || typeof socket.getPeerX509Certificate !== 'function') return {};
  const tls = socket as TLSSocket;
  const cert = clientCertificate(tls);
  if (cert === undefined) return {};
  if (!tls.authorized) return { refused: `the client certificate is not trusted (${String(tls.authorizationError ?? 'unknown CA')})` };
  return { cert };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: Route[], options: GatewayOptions): Promise<void> {
  const started = performance.now();
  const url = new URL(req.url ?? '/', 'http://localhost');
  const method = (req.method ?? 'GET').toUpperCase();
  const body = await readBody(req);
  if (body === undefined) return sendError(res, 413, 'payload_too_large', `the body is larger than ${MAX_PAYLOAD_BYTES} bytes`);
  const clientCert = clientCertOf(req);
  if (clientCert.refused !== undefined) {
    sendError(res, 401, 'unauthorized', clientCert.refused);
    options.log(`${method} ${url.pathname} -> TLS 401 ${Math.round(performance.now() - started)} ms`);
    return;
  }
  const match = matchRoute(routes, method, url.pathname);
  if (match === undefined) return sendError(res, 404, 'not_found', `no route for ${method} ${url.pathname}`);

  const event = buildEvent(req, url, method, body, match.route.routeKey, match.pathParameters);
  if (clientCert.cert !== undefined) event.requestContext.authentication = { clientCert: clientCert.cert };
  let status: number;
  try {
    if (match.route.authorizer !== undefined) {
      const denied = await runAuthorizer(match.route.authorizer, event, options.region);
      if (denied !== undefined) {
        sendError(res, denied.status, denied.code, denied.message);
        options.log(`${method} ${url.pathname} -> ${match.route.authorizer.config.name} authorizer ${denied.status} ${Math.round(performance.now() - started)} ms`);
        return;
      }
    }
    const result = await match.route.fn.invoke(event);
    status = writeResult(res, result);
  } catch (error) {
    options.log(`${match.route.fn.config.name} failed: ${(error as Error).stack ?? error}`);
    status = 500;
    sendError(res, status, 'internal_error', 'internal error');
  }
  options.log(`${method} ${url.pathname} -> ${match.route.fn.config.name} ${status} ${Math.round(performance.now() - started)} ms`);
}

/**
 * A Lambda request authorizer as API Gateway runs it: 401 without invoking it when an
 * identity source is missing, a cached answer within its TTL, 403 when it refuses, 500
 * when it fails; otherwise its context reaches the route as requestContext.authorizer.lambda.
 */
async function runAuthorizer(
  authorizer: LocalAuthorizer,
  event: APIGatewayProxyEventV2,
  region: string,
): Promise<{ status: number; code: string; message: string } | undefined> {
  const identity = authorizer.config.identitySource.map((source) => identityValue(source, event));
  if (identity.some((value) => value === undefined || value === '')) return { status: 401, code: 'unauthorized', message: 'an API key is required' };
  const cacheKey = identity.join('\u0000');
  const ttl = authorizer.config.resultTtlInSeconds;
  let result = ttl > 0 ? authorizer.cache.get(cacheKey) : undefined;
  if (result === undefined || result.expires < Date.now()) {
    let answer: unknown;
    try {
      answer = await authorizer.fn.invoke({
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:${region}:000000000000:local/$default/${event.requestContext.http.method}${event.rawPath}`,
        identitySource: identity,
        routeKey: event.routeKey,
        rawPath: event.rawPath,
        rawQueryString: event.rawQueryString,
        cookies: event.cookies,
        headers: event.headers,
        queryStringParameters: event.queryStringParameters,
        requestContext: event.requestContext,
        pathParameters: event.pathParameters,
        stageVariables: event.stageVariables,
      });
    } catch {
      return { status: 500, code: 'internal_error', message: 'internal error' };
    }
    result = { expires: Date.now() + ttl * 1000, result: authorizerResult(answer, authorizer.config.enableSimpleResponses) };
    if (ttl > 0) authorizer.cache.set(cacheKey, result);
  }
  if (!result.result.isAuthorized) {
    const reason = result.result.context?.reason;
    return { status: 403, code: 'forbidden', message: typeof reason === 'string' && reason !== '' ? reason : 'forbidden' };
  }
  (event.requestContext as unknown as { authorizer: unknown }).authorizer = { lambda: result.result.context ?? {} };
  return undefined;
}

function authorizerResult(answer: unknown, simple: boolean): AuthorizerResult {
  const value = (answer ?? {}) as Record<string, unknown>;
  if (simple) return { isAuthorized: value.isAuthorized === true, context: value.context as Record<string, unknown> | undefined };
  const statements = ((value.policyDocument as { Statement?: { Effect?: string }[] } | undefined)?.Statement ?? []);
  const allowed = statements.length > 0 && statements.every((s) => s.Effect === 'Allow');
  return { isAuthorized: allowed, context: value.context as Record<string, unknown> | undefined };
}

function identityValue(source: string, event: APIGatewayProxyEventV2): string | undefined {
  const header = /^\$request\.header\.(.+)$/i.exec(source);
  if (header) return event.headers[(header[1] as string).toLowerCase()];
  const query = /^\$request\.querystring\.(.+)$/i.exec(source);
  if (query) return event.queryStringParameters?.[query[1] as string];
  return source;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const TEXT_TYPES = /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|x-www-form-urlencoded|x-ndjson)\b)/i;

/** Text bodies arrive as strings; anything else (or bytes that are not UTF-8) as base64. */
function encodeBody(body: Buffer, contentType: string | undefined): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (contentType === undefined || TEXT_TYPES.test(contentType)) {
    try {
      return { body: utf8.decode(body), isBase64Encoded: false };
    } catch {
      // fall through: invalid UTF-8 travels as base64, as API Gateway does with binary bodies
    }
  }
  return { body: body.toString('base64'), isBase64Encoded: true };
}

export function buildEvent(
  req: IncomingMessage,
  url: URL,
  method: string,
  body: Buffer,
  routeKey: string,
  pathParameters: Record<string, string>,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') {
      cookies = (Array.isArray(value) ? value.join('; ') : value).split(/;\s*/).filter(Boolean);
      continue;
    }
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const rawQueryString = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const queryStringParameters: Record<string, string> = {};
  for (const [name, value] of url.searchParams) {
    queryStringParameters[name] = name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }
  const now = new Date();
  const requestId = randomUUID();
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString,
    cookies,
    headers,
    queryStringParameters: Object.keys(queryStringParameters).length > 0 ? queryStringParameters : undefined,
    pathParameters: Object.keys(pathParameters).length > 0 ? pathParameters : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] as string,
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...encodeBody(body, headers['content-type']),
    stageVariables: undefined,
  } as APIGatewayProxyEventV2;
}

/**
 * Payload 2.0 response mapping: a result with statusCode is used as given; any other
 * value becomes a 200 JSON body, as API Gateway infers.
 */
function writeResult(res: ServerResponse, result: unknown): number {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
    return 200;
  }
  const structured = result as APIGatewayProxyStructuredResultV2;
  const status = structured.statusCode ?? 200;
  for (const [name, value] of Object.entries(structured.headers ?? {})) res.setHeader(name, String(value));
  if (structured.cookies !== undefined && structured.cookies.length > 0) res.setHeader('set-cookie', structured.cookies);
  const body = structured.body === undefined ? undefined : structured.isBase64Encoded ? Buffer.from(structured.body, 'base64') : structured.body;
  res.writeHead(status);
  res.end(body);
  return status;
}

/** The gateway's own answers, in the API's error shape like every handler's. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  writeResult(res, errorResult(new HttpError(status, code, message)));
}
