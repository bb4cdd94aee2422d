import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { httpHandler } from '../../functions/shared/http-handler.ts';
import { badRequest } from '../../functions/shared/errors.ts';
import { json } from '../../functions/shared/http-response.ts';
import { lambdaContext } from '../helpers/sqs-events.ts';

/** EMF and log lines the handler wrote to stdout, parsed. */
let lines: Record<string, unknown>[] = [];
beforeEach(() => {
  lines = [];
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  const capture = (chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n').filter(Boolean)) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not JSON: not ours
      }
    }
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => vi.restoreAllMocks());

const event = (routeKey: string) =>
  ({ routeKey, headers: {}, requestContext: { requestId: 'req-1', http: { method: 'POST' }, timeEpoch: Date.now() } }) as unknown as APIGatewayProxyEventV2;

const metric = (name: string) => lines.find((l) => (l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined)?.CloudWatchMetrics?.[0]?.Metrics.some((m) => m.Name === name));

describe('metrics and logs of an HTTP handler', () => {
  it('counts the records a 202 accepted, per route, as an EMF metric', async () => {
    const handler = httpHandler(async () => json(202, { accepted: 7 }));
    const response = await handler(event('POST /packets'), lambdaContext());
    expect(response.statusCode).toBe(202);
    expect(response.headers?.['X-Content-Type-Options']).toBe('nosniff');
    const emf = metric('RecordsAccepted');
    expect(emf).toMatchObject({ route: 'POST /packets', RecordsAccepted: 7 });
  });

  it('counts a rejected request by route and reason, and answers the API error shape', async () => {
    const handler = httpHandler(async () => {
      throw badRequest('record 0 field x: bad', [{ record: 0, field: 'x', message: 'bad' }]);
    });
    const response = await handler(event('POST /flows'), lambdaContext());
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string).error.code).toBe('invalid_input');
    expect(metric('RequestsRejected')).toMatchObject({ route: 'POST /flows', reason: 'invalid_input', RequestsRejected: 1 });
  });

  it('logs an unexpected error as structured JSON with the route and request id, and answers 500 without internals', async () => {
    const handler = httpHandler(async () => {
      throw new Error('secret internals');
    });
    const response = await handler(event('GET /flows'), lambdaContext());
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret');
    const log = lines.find((l) => l.level === 'ERROR');
    expect(log).toMatchObject({ message: 'unhandled error', route: 'GET /flows', requestId: 'req-1' });
  });
});
