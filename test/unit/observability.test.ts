import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChangeMessageVisibilityBatchCommand, SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSRecord } from 'aws-lambda';
import { httpHandler } from '../../functions/shared/http-handler.ts';
import { badRequest } from '../../functions/shared/errors.ts';
import { json } from '../../functions/shared/http-response.ts';
import { ingestIdsInLogs, logger } from '../../functions/shared/observability.ts';
import { writeMessages, type MessageStore } from '../../functions/shared/message-writer.ts';
import { PoisonMessageError, TimeBudgetError } from '../../functions/shared/sqs-batch.ts';
import { lambdaContext, sqsEvent, sqsRecord } from '../helpers/sqs-events.ts';

/** Spies made through spyOn, restored after each test. */
const spies: { mockRestore(): void }[] = [];
const spyOn = ((...args: unknown[]) => {
  const spy = (vi.spyOn as (...spyArgs: unknown[]) => { mockRestore(): void })(...args);
  spies.push(spy);
  return spy;
}) as unknown as typeof vi.spyOn;

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
  spyOn(process.stdout, 'write').mockImplementation(capture);
  spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  for (const spy of spies.splice(0)) spy.mockRestore();
});

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

  it('keeps each metric under its own dimensions when the same and other routes count again', async () => {
    const handler = httpHandler(async () => json(202, { accepted: 2 }));
    for (const route of ['POST /notifications', 'POST /notifications', 'POST /netify']) await handler(event(route), lambdaContext());
    const accepted = lines.filter((l) => l.RecordsAccepted !== undefined);
    expect(accepted.map((l) => [l.route, l.RecordsAccepted])).toEqual([
      ['POST /notifications', 2],
      ['POST /notifications', 2],
      ['POST /netify', 2],
    ]);
    for (const l of accepted) expect((l._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'route']]);
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

/** SQS requests the code under test sent, answered as SQS would (or as `answer` says). */
function fakeSqs(answer: (command: object) => object = () => ({ Successful: [], Failed: [] })) {
  const sent: object[] = [];
  spyOn(SQSClient.prototype, 'send').mockImplementation((async (command: object) => {
    sent.push(command);
    return answer(command);
  }) as never);
  return sent;
}

const ingestIdsOf = (sent: object[]) =>
  sent
    .filter((c): c is SendMessageBatchCommand => c instanceof SendMessageBatchCommand)
    .flatMap((c) => c.input.Entries ?? [])
    .map((entry) => (JSON.parse(entry.MessageBody ?? '{}') as { ingestId: string }).ingestId);

describe('ingest ids in the logs of an ingest handler', () => {
  it('the handler appends the ingest id it queued under to the logger', async () => {
    for (const name of ['PACKETS_QUEUE_URL', 'PACKETS_TABLE', 'PACKET_COUNTS_TABLE', 'IDEMPOTENCY_TABLE', 'DEVICES_TABLE']) vi.stubEnv(name, `test-${name}`);
    const sent = fakeSqs();
    const appended = spyOn(logger, 'appendKeys');
    const { handler } = await import('../../functions/packets/ingest.ts');
    const request = { ...event('POST /packets'), body: readFileSync('events/packets/arp.json', 'utf8'), headers: { 'content-type': 'application/json' } };
    const response = await handler(request, lambdaContext());
    vi.unstubAllEnvs();
    expect(response.statusCode).toBe(202);
    const [ingestId] = ingestIdsOf(sent);
    expect(ingestId).toEqual(expect.any(String));
    expect(appended).toHaveBeenCalledWith({ ingestId });
  });

  it('every later line of the invocation carries the ingest id, and the next invocation does not', async () => {
    const handler = httpHandler(async (request) => {
      if (request.body === 'publish') ingestIdsInLogs([{ ingestId: 'ingest-1' }]);
      logger.warn('after queueing');
      return json(202, { accepted: 1 });
    });
    await handler({ ...event('POST /packets'), body: 'publish' }, lambdaContext());
    await handler({ ...event('POST /packets'), body: 'nothing' }, lambdaContext());
    const [first, second] = lines.filter((l) => l.message === 'after queueing');
    expect(first).toMatchObject({ ingestId: 'ingest-1', route: 'POST /packets', requestId: 'req-1' });
    expect(second).toMatchObject({ route: 'POST /packets', requestId: 'req-1' });
    expect(second).not.toHaveProperty('ingestId');
  });

  it('a body packed into several messages puts all their ingest ids on the line', async () => {
    const handler = httpHandler(async () => {
      ingestIdsInLogs([{ ingestId: 'a' }, { ingestId: 'b' }]);
      throw new Error('after queueing');
    });
    await handler(event('POST /flows'), lambdaContext());
    expect(lines.find((l) => l.level === 'ERROR')).toMatchObject({ message: 'unhandled error', ingestIds: ['a', 'b'] });
  });
});

describe("a writer's log lines about a message carry its ingest id", () => {
  type Message = { ingestId: string; receivedAt: number };
  const body = (ingestId: string, valid = true) => JSON.stringify({ ingestId, receivedAt: Date.now(), valid });
  /** Reads what `body` wrote; stores all but the ingest ids in `failing`, which throw `error`. */
  const store = (failing: Record<string, Error>): MessageStore<Message> => ({
    read: (record: SQSRecord) => {
      const message = JSON.parse(record.body) as Message & { valid: boolean };
      if (!message.valid) throw new PoisonMessageError('not a valid message');
      return message;
    },
    store: async (messages) => {
      const failure = messages.map((m) => failing[m.ingestId]).find((e) => e !== undefined);
      if (failure !== undefined) throw failure;
    },
  });
  const logged = (message: string) => lines.filter((l) => l.message === message).map((l) => ({ messageId: l.messageId, ingestId: l.ingestId }));

  it('a message that returns to the queue, and each copy of it, by ingest id next to message id', async () => {
    const [ok, failing, copy] = [sqsRecord(body('ok')), sqsRecord(body('broken')), sqsRecord(body('broken'))];
    const result = await writeMessages(sqsEvent([ok, failing, copy]), store({ broken: new Error('throttled') }), { writer: 'test' });
    expect(result.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual([failing.messageId, copy.messageId].sort());
    expect(logged('message not stored; it returns to the queue')).toEqual(
      expect.arrayContaining([
        { messageId: failing.messageId, ingestId: 'broken' },
        { messageId: copy.messageId, ingestId: 'broken' },
      ]),
    );
  });

  it('a dead-lettered message, including one its writer could not read', async () => {
    fakeSqs();
    const [poison, unreadable] = [sqsRecord(body('poison')), sqsRecord(body('unreadable', false))];
    const options = { writer: 'test', deadLetterQueueUrl: 'https://sqs.test/dlq' };
    const result = await writeMessages(sqsEvent([poison, unreadable]), store({ poison: new PoisonMessageError('refused') }), options);
    expect(result.batchItemFailures).toEqual([]);
    expect(logged('message moved to the dead-letter queue')).toEqual(
      expect.arrayContaining([
        { messageId: poison.messageId, ingestId: 'poison' },
        { messageId: unreadable.messageId, ingestId: 'unreadable' },
      ]),
    );
  });

  it('a message handed back for want of time, also when handing it back fails', async () => {
    const sent = fakeSqs(() => {
      throw new Error('SQS unreachable');
    });
    const late = sqsRecord(body('late'));
    const options = { writer: 'test', queueUrl: 'https://sqs.test/queue' };
    const result = await writeMessages(sqsEvent([late]), store({ late: new TimeBudgetError('no time left') }), options);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: late.messageId }]);
    expect(sent.some((c) => c instanceof ChangeMessageVisibilityBatchCommand)).toBe(true);
    expect(logged('message not stored; it returns to the queue')).toEqual([{ messageId: late.messageId, ingestId: 'late' }]);
    const warning = lines.find((l) => String(l.message).startsWith('messages not tried could not be made visible again'));
    expect(warning?.messages).toEqual([{ messageId: late.messageId, ingestId: 'late' }]);
  });
});
