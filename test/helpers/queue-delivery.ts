import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { expect } from 'vitest';
import type { ClientMiddleware, MeteredClient } from '../../functions/shared/usage-meter.ts';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { direct, lambdaContext, sqsEvent, sqsRecord } from './sqs-events.ts';

/** Sends these bodies to the queue, ten a request. */
async function enqueue(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })) }));
  }
}

/**
 * Up to `wanted` messages received as Lambda's poller receives them (hidden for 180 s, the
 * queues' visibility timeout), as the records of an event: a message handed back at once is
 * receivable again right away, one that is not stays hidden.
 */
async function receiveAsPoller(sqs: SQSClient, queueUrl: string, wanted: number): Promise<SQSRecord[]> {
  const got = [];
  for (let attempt = 0; attempt < 20 && got.length < wanted; attempt++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 180, WaitTimeSeconds: 1 }));
    got.push(...Messages);
  }
  return got.map((m) => ({ ...sqsRecord(m.Body as string), messageId: m.MessageId as string, receiptHandle: m.ReceiptHandle as string }));
}

/** Runs `work` with `middleware` on the functions' DynamoDB client (initialize step), taken off again after. */
export async function withStoreMiddleware<T>(name: string, middleware: ClientMiddleware, work: () => Promise<T>): Promise<T> {
  const client = documentClient();
  (client as MeteredClient).middlewareStack.add(middleware, { step: 'initialize', name });
  try {
    return await work();
  } finally {
    client.middlewareStack.remove(name);
  }
}

/**
 * Runs `work` with `race` run once, right after the first BatchGetItem of `markerTable` (a read
 * of fold markers) has answered and before the read goes on; answers what `work` gave and
 * whether the race ran.
 */
export async function withRaceAfterMarkerRead<T>(markerTable: string, race: () => Promise<void>, work: () => Promise<T>): Promise<{ result: T; raced: boolean }> {
  let raced = false;
  const result = await withStoreMiddleware(
    'raceAfterMarkerRead',
    (next) => async (args) => {
      const answer = await next(args);
      if (!raced && (args.input as { RequestItems?: Record<string, unknown> }).RequestItems?.[markerTable] !== undefined) {
        raced = true;
        await race();
      }
      return answer;
    },
    work,
  );
  return { result, raced };
}

/** Runs `work` with every request of the functions' DynamoDB client held `ms` first: a slow store. */
export async function withSlowStore<T>(ms: number, work: () => Promise<T>): Promise<T> {
  return withStoreMiddleware('slowStore', (next) => async (args) => (await new Promise((resolve) => setTimeout(resolve, ms)), next(args)), work);
}

/** Runs `work` and counts the items every Query and Scan of the functions' DynamoDB client answered meanwhile. */
export async function itemsRead(work: () => Promise<unknown>): Promise<number> {
  let read = 0;
  const middleware: ClientMiddleware = (next) => async (args) => {
    const result = await next(args);
    read += (result.output as { Items?: unknown[] }).Items?.length ?? 0;
    return result;
  };
  await withStoreMiddleware('itemsRead', middleware, work);
  return read;
}

/** Runs `work` and counts the Query requests the functions' DynamoDB client made meanwhile. */
export async function queriesDuring(work: () => Promise<unknown>): Promise<number> {
  let queries = 0;
  const middleware: ClientMiddleware = (next, context) => async (args) => {
    if (context.commandName === 'QueryCommand') queries++;
    return next(args);
  };
  await withStoreMiddleware('countQueries', middleware, work);
  return queries;
}

/** Stores each body in a writer invocation of its own, in the order given, none handed back. */
export async function storeInTurn(writer: (event: SQSEvent) => Promise<SQSBatchResponse>, bodies: readonly string[]): Promise<void> {
  for (const body of bodies) expect((await writer(sqsEvent([sqsRecord(body)]))).batchItemFailures).toEqual([]);
}

export interface ShortOfTime {
  /** Messages the first invocation was given. */
  delivered: number;
  /** Message ids it handed back. */
  handedBack: string[];
  /** Message ids received again right after it (visible at once). */
  receivedAgain: string[];
  /** What a second invocation, with time enough, failed of those. */
  retryFailures: SQSBatchResponse['batchItemFailures'];
}

/**
 * What every writer's time-budget test plays: `bodies` queued and received as Lambda's poller
 * receives them, the writer invoked once with `remainingMs` left (every DynamoDB request held
 * `holdMs` first, when given), then what it handed back received again and given to it with
 * time enough.
 */
export async function deliverShortOfTime(
  queueUrl: string,
  bodies: readonly string[],
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>,
  options: { remainingMs: number; holdMs?: number },
): Promise<ShortOfTime> {
  const sqs = new SQSClient({});
  try {
    await enqueue(sqs, queueUrl, bodies);
    const delivered = await receiveAsPoller(sqs, queueUrl, bodies.length);
    const short = () => handler(sqsEvent(delivered), { ...lambdaContext(), getRemainingTimeInMillis: () => options.remainingMs });
    const { batchItemFailures } = options.holdMs === undefined ? await short() : await withSlowStore(options.holdMs, short);
    const returned = await receiveAsPoller(sqs, queueUrl, batchItemFailures.length);
    const retry = returned.length === 0 ? { batchItemFailures: [] } : await direct(handler)(sqsEvent(returned));
    return {
      delivered: delivered.length,
      handedBack: batchItemFailures.map((f) => f.itemIdentifier),
      receivedAgain: returned.map((r) => r.messageId),
      retryFailures: retry.batchItemFailures,
    };
  } finally {
    sqs.destroy();
  }
}

/**
 * What a writer short of time must have done with the `delivered` messages: stored some and
 * handed back the rest, at least `atLeast` of them, which were visible again at once (not
 * after 180 s) and stored on their next delivery.
 */
export function expectStoredInPart(run: ShortOfTime, delivered: number, atLeast: number): void {
  expect(run.delivered).toBe(delivered);
  expect(run.handedBack.length).toBeGreaterThanOrEqual(atLeast);
  expect(run.handedBack.length).toBeLessThan(delivered);
  expect(run.receivedAgain.sort()).toEqual(run.handedBack.sort());
  expect(run.retryFailures).toEqual([]);
}

/** Messages waiting in the runtime's four dead-letter queues, together. */
export async function deadLetterCount(sqs: SQSClient, runtime: LocalRuntime): Promise<number> {
  let total = 0;
  for (const id of ['PacketsDLQ', 'FlowsDLQ', 'NotificationsDLQ', 'DevicesDLQ']) {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: runtime.resources.queues.get(id)?.url, AttributeNames: ['ApproximateNumberOfMessages'] }));
    total += Number(Attributes?.ApproximateNumberOfMessages ?? 0);
  }
  return total;
}
