import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { LocalFunction } from './lambda.ts';

/** API Gateway's limit on one WebSocket message (client to server and through @connections). */
const MAX_MESSAGE_BYTES = 128 * 1024;

export interface WebsocketGatewayOptions {
  host: string;
  port: number;
  /** The stage in the URL path and in requestContext.stage, as on AWS (wss://<api>/<stage>). */
  stage: string;
  region: string;
  log: (line: string) => void;
}

export interface WebsocketGateway {
  server: Server;
  /** What a client opens: ws://host:port/<stage>. */
  url: string;
  /** The @connections management endpoint (the same listener over HTTP): http://host:port/<stage>. */
  connectionsEndpoint: string;
  /** The functions of serverless.yml's websocket events, by route key; set once they are loaded. */
  setRoutes(routes: Map<string, LocalFunction>): void;
  stop(): Promise<void>;
}

interface Connection {
  socket?: WebSocket;
  /** Messages posted while $connect was still running are sent once the handshake completes. */
  queued: Buffer[];
  connectedAt: number;
  lastActiveAt: number;
  sourceIp: string;
  userAgent: string;
}

/**
 * API Gateway's WebSocket API: $connect runs before the handshake completes and refuses it
 * with its status when it answers anything but 2xx (or throws); messages go to the route
 * that `$request.body.action` names, else $default; $disconnect runs when either side
 * closes. Beside it, on the same listener, the @connections management API that the
 * functions reach with the SDK (POST to send, GET to describe, DELETE to close; 410 Gone
 * for an unknown connection).
 */
export async function startWebsocketGateway(options: WebsocketGatewayOptions): Promise<WebsocketGateway> {
  let routes = new Map<string, LocalFunction>();
  const connections = new Map<string, Connection>();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  const apiId = 'local';
  const server = createServer((req, res) => {
    management(req, res, connections).catch((error: Error) => {
      options.log(`@connections error: ${error.stack ?? error.message}`);
      if (!res.headersSent) reply(res, 500, { message: 'internal error' });
    });
  });

  const invoke = async (routeKey: string, connectionId: string, extra: Record<string, unknown>, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT') => {
    const fn = routes.get(routeKey) ?? (eventType === 'MESSAGE' ? routes.get('$default') : undefined);
    if (fn === undefined) return undefined;
    const connection = connections.get(connectionId);
    const now = Date.now();
    const event = {
      requestContext: {
        routeKey: routes.has(routeKey) ? routeKey : '$default',
        eventType,
        extendedRequestId: randomUUID(),
        requestTime: new Date(now).toUTCString(),
        messageDirection: 'IN',
        stage: options.stage,
        connectedAt: connection?.connectedAt ?? now,
        requestTimeEpoch: now,
        identity: { sourceIp: connection?.sourceIp ?? '127.0.0.1', userAgent: connection?.userAgent ?? '' },
        requestId: randomUUID(),
        domainName: `${urlHost(options.host)}:${port}`,
        connectionId,
        apiId,
        ...(eventType === 'MESSAGE' ? { messageId: randomUUID() } : {}),
      },
      isBase64Encoded: false,
      ...extra,
    };
    const started = performance.now();
    const result = (await fn.invoke(event)) as { statusCode?: number } | undefined;
    options.log(`ws ${event.requestContext.routeKey} -> ${fn.config.name} ${result?.statusCode ?? 200} ${Math.round(performance.now() - started)} ms`);
    return result;
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    void upgrade(req, socket, head);
  });

  const upgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.replace(/\/$/, '') !== `/${options.stage}`) return refuse(socket, 404);
    const connectionId = randomBytes(12).toString('base64url');
    const now = Date.now();
    connections.set(connectionId, { queued: [], connectedAt: now, lastActiveAt: now, sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: req.headers['user-agent'] ?? '' });
    let status: number;
    try {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v)]));
      const query = Object.fromEntries(url.searchParams);
      const result = await invoke('$connect', connectionId, { headers, queryStringParameters: Object.keys(query).length > 0 ? query : undefined }, 'CONNECT');
      status = result?.statusCode ?? 200;
    } catch (error) {
      options.log(`ws $connect failed: ${(error as Error).message}`);
      status = 500;
    }
    if (status < 200 || status > 299) {
      connections.delete(connectionId);
      return refuse(socket, status);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const connection = connections.get(connectionId);
      if (connection === undefined) return ws.close(1011);
      connection.socket = ws;
      for (const message of connection.queued.splice(0)) ws.send(message.toString('utf8'));
      ws.on('message', (data: RawData) => {
        connection.lastActiveAt = Date.now();
        const body = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8');
        invoke(routeOf(body), connectionId, { body }, 'MESSAGE').catch((error: Error) => options.log(`ws message failed: ${error.message}`));
      });
      ws.on('close', () => {
        connections.delete(connectionId);
        invoke('$disconnect', connectionId, {}, 'DISCONNECT').catch((error: Error) => options.log(`ws $disconnect failed: ${error.message}`));
      });
    });
  };

  const routeOf = (body: string): string => {
    try {
      const action = (JSON.parse(body) as { action?: unknown }).action;
      if (typeof action === 'string' && routes.has(action)) return action;
    } catch {
      // not JSON: the $default route
    }
    return '$default';
  };

  const management = async (req: IncomingMessage, res: ServerResponse, open: Map<string, Connection>) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = new RegExp(`^/${options.stage}/@connections/([^/]+)$`).exec(url.pathname);
    if (match === null) return reply(res, 404, { message: 'Not Found' });
    const connectionId = decodeURIComponent(match[1] as string);
    const connection = open.get(connectionId);
    if (connection === undefined) return reply(res, 410, { message: 'Gone' }, 'GoneException');
    if (req.method === 'POST') {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const data = Buffer.concat(chunks);
      if (data.length > MAX_MESSAGE_BYTES) return reply(res, 413, { message: 'Request Entity Too Large' }, 'PayloadTooLargeException');
      if (connection.socket === undefined) connection.queued.push(data);
      else connection.socket.send(data.toString('utf8'));
      return reply(res, 200);
    }
    if (req.method === 'GET') {
      return reply(res, 200, {
        connectedAt: new Date(connection.connectedAt).toISOString(),
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
      });
    }
    if (req.method === 'DELETE') {
      connection.socket?.close(1000);
      return reply(res, 204);
    }
    return reply(res, 405, { message: 'Method Not Allowed' });
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const base = `${urlHost(options.host)}:${port}/${options.stage}`;
  return {
    server,
    url: `ws://${base}`,
    connectionsEndpoint: `http://${base}`,
    setRoutes(next) {
      routes = next;
    },
    async stop() {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function refuse(socket: Duplex, status: number): void {
  const reason = status === 401 ? 'Unauthorized' : status === 403 ? 'Forbidden' : status === 404 ? 'Not Found' : 'Error';
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function reply(res: ServerResponse, status: number, body?: unknown, errorType?: string): void {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(body === undefined ? undefined : JSON.stringify(body));
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
