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
  /**
   * DynamoDB's BatchWriteItem only: forwarded with the first half of its items, the rest
   * answered as UnprocessedItems, as DynamoDB does when a partition is busy.
   */
  unprocessed?: number;
  /** Extra delay before forwarding, in ms (applied to every request). */
  latencyMs?: number;
}

export interface FaultCounts {
  requests: number;
  throttle: number;
  serverError: number;
  resetBefore: number;
  resetAfter: number;
  unprocessed: number;
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
  const counts: FaultCounts = { requests: 0, throttle: 0, serverError: 0, resetBefore: 0, resetAfter: 0, unprocessed: 0 };
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
    const split = service === 'dynamodb' && req.headers['x-amz-target'] === 'DynamoDB_20120810.BatchWriteItem' && hit(rates.unprocessed) ? splitBatchWrite(body) : undefined;
    if (split !== undefined) {
      counts.unprocessed++;
      if (split.forward === undefined) return reply(res, 200, { UnprocessedItems: split.heldBack });
    }
    const dropAnswer = hit(rates.resetAfter);
    const forwardedBody = split?.forward ?? body;
    const forwarded = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, 'content-length': String(forwardedBody.length) } },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (c: Buffer) => chunks.push(c));
        answer.on('end', () => {
          if (dropAnswer) {
            counts.resetAfter++;
            req.socket.destroy();
            return;
          }
          if (split !== undefined && answer.statusCode === 200) {
            const answered = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { UnprocessedItems?: Record<string, unknown[]> };
            return reply(res, 200, { ...answered, UnprocessedItems: mergeRequests(answered.UnprocessedItems ?? {}, split.heldBack) });
          }
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          res.end(Buffer.concat(chunks));
        });
      },
    );
    forwarded.on('error', () => req.socket.destroy());
    forwarded.end(forwardedBody);
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
  const type = (body as { __type?: string }).__type;
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', ...(type === undefined ? {} : { 'x-amzn-errortype': type }) });
  res.end(JSON.stringify(body));
}

type BatchRequests = Record<string, unknown[]>;

/** A BatchWriteItem body cut in two: the first half of its items to forward (none when it has one), and the rest held back. */
function splitBatchWrite(body: Buffer): { forward?: Buffer; heldBack: BatchRequests } {
  const input = JSON.parse(body.toString('utf8')) as { RequestItems: BatchRequests };
  const all = Object.entries(input.RequestItems).flatMap(([table, requests]) => requests.map((request) => [table, request] as const));
  const keep = Math.floor(all.length / 2);
  const group = (pairs: typeof all): BatchRequests => {
    const grouped: BatchRequests = {};
    for (const [table, request] of pairs) (grouped[table] ??= []).push(request);
    return grouped;
  };
  const heldBack = group(all.slice(keep));
  if (keep === 0) return { heldBack };
  return { forward: Buffer.from(JSON.stringify({ ...input, RequestItems: group(all.slice(0, keep)) }), 'utf8'), heldBack };
}

function mergeRequests(a: BatchRequests, b: BatchRequests): BatchRequests {
  const merged: BatchRequests = { ...a };
  for (const [table, requests] of Object.entries(b)) merged[table] = [...(merged[table] ?? []), ...requests];
  return merged;
}
