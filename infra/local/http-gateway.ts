import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayEventClientCertificate } from 'aws-lambda';
import { HttpError } from '../../functions/shared/errors.ts';
import { errorResult } from '../../functions/shared/http-response.ts';
import { runAuthorizer } from './gateway-authorizer.ts';
import { MAX_PAYLOAD_BYTES, buildEvent, readBody, writeResult } from './gateway-payload.ts';
import { matchRoute, type Route } from './gateway-routes.ts';
import { clientCertificate } from './tls.ts';


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
    if (overLambdaRequestLimit(event, body.length)) {
      // Lambda refuses the invocation before the handler runs; the gateway answers for it.
      options.log(`${method} ${url.pathname} -> ${match.route.fn.config.name}: the event is over Lambda's ${LAMBDA_MAX_REQUEST_BYTES}-byte request limit`);
      sendError(res, 500, 'internal_error', 'internal error');
      return;
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

/** What Lambda takes in one synchronous invocation: the event as JSON, its body escaped in it. */
export const LAMBDA_MAX_REQUEST_BYTES = 6 * 1024 * 1024;

/** Whether the event is over the limit; measured only when its body could be (a byte escapes to at most 6, as \u0001). */
function overLambdaRequestLimit(event: unknown, bodyBytes: number): boolean {
  return bodyBytes * 6 + 64 * 1024 > LAMBDA_MAX_REQUEST_BYTES && Buffer.byteLength(JSON.stringify(event)) > LAMBDA_MAX_REQUEST_BYTES;
}

/** The gateway's own answers, in the API's error shape like every handler's. */
function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  writeResult(res, errorResult(new HttpError(status, code, message)));
}
