import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { LocalFunction } from './lambda.ts';
import type { QueueResource } from './resources.ts';
import type { SqsEvent } from './service-config.ts';

export interface PollerOptions {
  region: string;
  /** Concurrent batches per event source, as Lambda runs several pollers per queue. */
  concurrency: number;
  /** Share of invocations that crash part-way (fault injection): nothing is acknowledged. */
  crashRate?: number;
  log: (line: string) => void;
}

/**
 * An SQS event source mapping: receives up to batchSize messages, waiting at most the
 * batching window once the first arrives, invokes the function with a real SQS event and
 * deletes what succeeded. Failed messages stay on the queue, come back after their
 * visibility timeout, and reach the DLQ through the queue's own redrive policy.
 */
export class SqsPoller {
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly fn: LocalFunction;
  private readonly queue: QueueResource;
  private readonly mapping: SqsEvent;
  private readonly sqs: SQSClient;
  private options: PollerOptions;

  constructor(fn: LocalFunction, queue: QueueResource, mapping: SqsEvent, sqs: SQSClient, options: PollerOptions) {
    this.fn = fn;
    this.queue = queue;
    this.mapping = mapping;
    this.sqs = sqs;
    this.options = options;
  }

  setCrashRate(rate: number): void {
    this.options.crashRate = rate;
  }

  start(): void {
    for (let i = 0; i < this.options.concurrency; i++) this.loops.push(this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      try {
        const messages = await this.collectBatch();
        if (messages.length > 0) await this.deliver(messages);
      } catch (error) {
        if (!this.running) return;
        this.options.log(`${this.fn.config.name}: polling ${this.queue.name} failed: ${(error as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async collectBatch(): Promise<Message[]> {
    const batchSize = this.mapping.batchSize;
    const windowMs = this.mapping.maximumBatchingWindow * 1000;
    const messages: Message[] = [];
    let firstAt: number | undefined;
    while (this.running && messages.length < batchSize) {
      const waiting = firstAt === undefined;
      if (!waiting && Date.now() - (firstAt as number) >= windowMs) break;
      const received = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queue.url,
          MaxNumberOfMessages: Math.min(10, batchSize - messages.length),
          // Long-poll while idle, but briefly, so that stop() is prompt.
          WaitTimeSeconds: waiting ? 1 : 0,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
      );
      const batch = received.Messages ?? [];
      if (batch.length === 0) {
        if (waiting) continue;
        if (windowMs === 0) break;
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      firstAt ??= Date.now();
      messages.push(...batch);
      if (windowMs === 0) break;
    }
    return messages;
  }

  private async deliver(messages: Message[]): Promise<void> {
    const started = performance.now();
    const event: SQSEvent = { Records: messages.map((m) => this.record(m)) };
    let failed: Set<string>;
    let outcome: string;
    try {
      const invocation = this.fn.invoke(event);
      if (this.options.crashRate && Math.random() < this.options.crashRate) {
        // The process "dies" at a random point: its work so far stays done (and may even
        // finish), nothing is acknowledged, and every message comes back.
        await Promise.race([invocation.catch(() => undefined), new Promise((r) => setTimeout(r, Math.random() * 50))]);
        this.options.log(`sqs ${this.queue.name} -> ${this.fn.config.name} ${messages.length} msgs, crashed (injected)`);
        return;
      }
      const result = (await invocation) as SQSBatchResponse | undefined;
      failed = this.failedIds(result, event);
      outcome = failed.size === 0 ? 'ok' : `${failed.size} failed`;
    } catch (error) {
      failed = new Set(event.Records.map((r) => r.messageId));
      outcome = `threw (${(error as Error).message}); whole batch returns to the queue`;
    }
    const done = messages.filter((m) => !failed.has(m.MessageId as string));
    for (let i = 0; i < done.length; i += 10) {
      const deleted = await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.queue.url,
          Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
      // As on AWS, a message whose visibility ran out before the function finished cannot be
      // deleted with the old receipt: it is delivered again, which writers must tolerate.
      for (const failure of deleted.Failed ?? []) {
        this.options.log(`${this.fn.config.name}: could not delete a message from ${this.queue.name}: ${failure.Code} ${failure.Message ?? ''}`);
      }
    }
    this.options.log(`sqs ${this.queue.name} -> ${this.fn.config.name} ${messages.length} msgs, ${outcome} ${Math.round(performance.now() - started)} ms`);
  }

  /** Lambda's rules: without ReportBatchItemFailures any return is success; a malformed report fails the batch. */
  private failedIds(result: SQSBatchResponse | undefined, event: SQSEvent): Set<string> {
    if (this.mapping.functionResponseType !== 'ReportBatchItemFailures') return new Set();
    const ids = new Set(event.Records.map((r) => r.messageId));
    const failures = result?.batchItemFailures ?? [];
    const failed = new Set<string>();
    for (const failure of failures) {
      if (typeof failure?.itemIdentifier !== 'string' || !ids.has(failure.itemIdentifier)) return ids;
      failed.add(failure.itemIdentifier);
    }
    return failed;
  }

  private record(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId as string,
      receiptHandle: message.ReceiptHandle as string,
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            dataType: value.DataType ?? 'String',
            stringValue: value.StringValue,
            binaryValue: value.BinaryValue === undefined ? undefined : Buffer.from(value.BinaryValue).toString('base64'),
            stringListValues: [],
            binaryListValues: [],
          },
        ]),
      ),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.queue.arn,
      awsRegion: this.options.region,
    };
  }
}
