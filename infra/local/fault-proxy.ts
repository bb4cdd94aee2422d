import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a proxied request may suffer; rates are shares of all requests, 0..1 each. */
export interface FaultRates {
  /** Answered with the service's throttling error and never forwarded. */
  throttle?: number;
  /** Answered 500 and never forwarded. */
  serverError?: number;
  /** Connection dropped before forwarding. */
  resetBefore?: number;
  /** Forwarded, then the connection dropped before the answer: the work happened, the client cannot know. */
  resetAfter?: number;
  /** Extra delay before forwarding, in ms (applied to every request). */
  latencyMs?: number;
}

export interface FaultCounts {
  requests: number;
  throttle: number;
  serverError: number;
  resetBefore: number;
  resetAfter: number;
}

export interface FaultProxy {
  url: string;
  counts: FaultCounts;
  /** Change the rates while running (e.g. heal the service). */
  setRates(rates: FaultRates): void;
  stop(): Promise<void>;
}

/** The error bodies the AWS JSON protocols use, so the SDK classifies them as it would on AWS. */
const THROTTLING: Record<'dynamodb' | 'sqs', string[]> = {
  dynamodb: [
    'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    'com.amazonaws.dynamodb.v20120810#RequestLimitExceeded',
  ],
  sqs: ['com.amazonaws.sqs#ThrottlingException', 'com.amazonaws.sqs#RequestThrottled'],
};

/**
 * An HTTP proxy in front of an emulator that injects the faults AWS services show:
 * throttling, 500s, dropped connections (before or after the work) and latency.
 */
export async function startFaultProxy(target: string, service: 'dynamodb' | 'sqs', initial: FaultRates, random = Math.random): Promise<FaultProxy> {
  let rates = initial;
  const counts: FaultCounts = { requests: 0, throttle: 0, serverError: 0, resetBefore: 0, resetAfter: 0 };
  const upstream = new URL(target);

  const server: Server = createServer(async (req, res) => {
    const body = await readAll(req);
    counts.requests++;
    if (rates.latencyMs) await new Promise((r) => setTimeout(r, rates.latencyMs));
    const roll = random();
    let edge = 0;
    const hit = (rate: number | undefined) => {
      edge += rate ?? 0;
      return roll < edge;
    };
    if (hit(rates.throttle)) {
      counts.throttle++;
      const types = THROTTLING[service];
      return reply(res, 400, { __type: types[Math.floor(random() * types.length)], message: 'Rate exceeded (injected)' });
    }
    if (hit(rates.serverError)) {
      counts.serverError++;
      return reply(res, 500, { __type: 'InternalServerError', message: 'injected failure' });
    }
    if (hit(rates.resetBefore)) {
      counts.resetBefore++;
      req.socket.destroy();
      return;
    }
    const dropAnswer = hit(rates.resetAfter);
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          if (dropAnswer) {
            counts.resetAfter++;
            req.socket.destroy();
            return;
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    forwarded.on('error', () => req.socket.destroy());
    forwarded.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts,
    setRates(next) {
      rates = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': String((body as { __type: string }).__type) });
  res.end(JSON.stringify(body));
}
