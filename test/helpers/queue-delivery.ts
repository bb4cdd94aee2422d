import type { SQSRecord } from 'aws-lambda';
import { ReceiveMessageCommand, SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { documentClient } from '../../functions/shared/dynamodb-client.ts';
import { sqsRecord } from './sqs-events.ts';

/** Sends these bodies to the queue, ten a request. */
export async function enqueue(sqs: SQSClient, queueUrl: string, bodies: readonly string[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })) }));
  }
}

/**
 * Up to `wanted` messages received as Lambda's poller receives them (hidden for 180 s, the
 * queues' visibility timeout), as the records of an event: a message handed back at once is
 * receivable again right away, one that is not stays hidden.
 */
export async function receiveAsPoller(sqs: SQSClient, queueUrl: string, wanted: number): Promise<SQSRecord[]> {
  const got = [];
  for (let attempt = 0; attempt < 20 && got.length < wanted; attempt++) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 180, WaitTimeSeconds: 1 }));
    got.push(...Messages);
  }
  return got.map((m) => ({ ...sqsRecord(m.Body as string), messageId: m.MessageId as string, receiptHandle: m.ReceiptHandle as string }));
}

/** Runs `work` with every request of the functions' DynamoDB client held `ms` first: a slow store. */
export async function withSlowStore<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const stack = documentClient().middlewareStack;
  stack.add((next) => async (args) => (await new Promise((resolve) => setTimeout(resolve, ms)), next(args)), { step: 'initialize', name: 'slowStore' });
  try {
    return await work();
  } finally {
    stack.remove('slowStore');
  }
}
