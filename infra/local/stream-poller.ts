import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type DynamoDBStreamsClient,
  type _Record,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { compileEventFilter, type EventFilter } from './event-filter.ts';
import type { LocalFunction } from './lambda.ts';
import type { StreamEvent } from './service-config.ts';

export interface StreamPollerOptions {
  region: string;
  log: (line: string) => void;
  /** How often an idle shard is read again; Lambda reads each shard about four times a second. */
  pollIntervalMs?: number;
}

const SHARD_REFRESH_MS = 5_000;

/**
 * A DynamoDB Streams event source mapping, over DynamoDB Local's streams: reads every
 * open shard from LATEST (or TRIM_HORIZON), follows new shards as the stream rolls over,
 * and invokes the function with the records as a DynamoDBStreamEvent, in order per shard.
 * A batch that fails is retried (maximumRetryAttempts, -1 for as long as it takes, as on
 * Lambda) before its shard moves on.
 */
export class StreamPoller {
  private running = true;
  private loop: Promise<void> | undefined;
  private readonly iterators = new Map<string, string>();
  private readonly finished = new Set<string>();
  /** The last sequence number delivered per shard, to position a new iterator after it. */
  private readonly delivered = new Map<string, string>();
  private readonly fn: LocalFunction;
  private readonly streamArn: string;
  private readonly mapping: StreamEvent;
  private readonly client: DynamoDBStreamsClient;
  private readonly options: StreamPollerOptions;
  private readonly filter: EventFilter;
  private wake: (() => void) | undefined;

  constructor(fn: LocalFunction, streamArn: string, mapping: StreamEvent, client: DynamoDBStreamsClient, options: StreamPollerOptions) {
    this.fn = fn;
    this.streamArn = streamArn;
    this.mapping = mapping;
    this.client = client;
    this.options = options;
    this.filter = compileEventFilter(mapping.filterPatterns, `${fn.config.name}: stream event`);
  }

  /** Resolves once the shards are positioned, so that writes after it are seen. */
  async start(): Promise<void> {
    await this.refreshShards(this.mapping.startingPosition);
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let refreshedAt = Date.now();
    while (this.running) {
      try {
        if (Date.now() - refreshedAt > SHARD_REFRESH_MS) {
          await this.refreshShards('TRIM_HORIZON');
          refreshedAt = Date.now();
        }
        let delivered = 0;
        for (const shardId of [...this.iterators.keys()]) {
          if (!this.running) return;
          delivered += await this.readShard(shardId);
        }
        if (delivered === 0) await this.sleep(this.options.pollIntervalMs ?? 250);
      } catch (error) {
        if (!this.running) return;
        this.options.log(`${this.fn.config.name}: reading ${this.streamArn} failed: ${(error as Error).message}`);
        await this.sleep(500);
      }
    }
  }

  /** New shards (a stream rolls over to children) start at `position`; closed ones are forgotten once read. */
  private async refreshShards(position: 'LATEST' | 'TRIM_HORIZON'): Promise<void> {
    let start: string | undefined;
    do {
      const { StreamDescription } = await this.client.send(new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: start }));
      for (const shard of StreamDescription?.Shards ?? []) {
        const id = shard.ShardId as string;
        if (this.iterators.has(id) || this.finished.has(id)) continue;
        const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
        if (closed && position === 'LATEST') {
          this.finished.add(id);
          continue;
        }
        const { ShardIterator } = await this.client.send(new GetShardIteratorCommand({ StreamArn: this.streamArn, ShardId: id, ShardIteratorType: position }));
        if (ShardIterator !== undefined) this.iterators.set(id, ShardIterator);
      }
      start = StreamDescription?.LastEvaluatedShardId;
    } while (start !== undefined);
  }

  private async readShard(shardId: string): Promise<number> {
    const records: _Record[] = [];
    let firstAt: number | undefined;
    while (this.running && records.length < this.mapping.batchSize) {
      const iterator = this.iterators.get(shardId);
      if (iterator === undefined) break;
      let page;
      try {
        page = await this.client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: this.mapping.batchSize - records.length }));
      } catch (error) {
        const name = (error as Error).name;
        if (name !== 'TrimmedDataAccessException' && name !== 'ExpiredIteratorException') throw error;
        // DynamoDB Local calls an iterator taken on a shard with no records yet "trimmed" once
        // records arrive; start again after the last record delivered, else from the oldest.
        await this.reposition(shardId);
        continue;
      }
      if (page.NextShardIterator === undefined || page.NextShardIterator === null) {
        this.iterators.delete(shardId);
        this.finished.add(shardId);
      } else {
        this.iterators.set(shardId, page.NextShardIterator);
      }
      const got = page.Records ?? [];
      records.push(...got);
      if (records.length === 0) break;
      firstAt ??= Date.now();
      if (this.mapping.batchWindow === 0 || Date.now() - firstAt >= this.mapping.batchWindow * 1000) break;
      if (got.length === 0) await this.sleep(100);
    }
    if (records.length > 0) {
      // As Lambda does: records no pattern matches are passed over, never delivered.
      const matching = records.map((r) => this.record(r)).filter((r) => this.filter(r));
      if (matching.length > 0) await this.deliver(matching);
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) this.delivered.set(shardId, last);
    }
    return records.length;
  }

  private async reposition(shardId: string): Promise<void> {
    const after = this.delivered.get(shardId);
    const { ShardIterator } = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shardId,
        ...(after === undefined ? { ShardIteratorType: 'TRIM_HORIZON' } : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }),
      }),
    );
    if (ShardIterator === undefined) this.iterators.delete(shardId);
    else this.iterators.set(shardId, ShardIterator);
  }

  private async deliver(records: DynamoDBRecord[]): Promise<void> {
    const event: DynamoDBStreamEvent = { Records: records };
    for (let attempt = 0; this.running; attempt++) {
      const started = performance.now();
      try {
        await this.fn.invoke(event);
        this.options.log(`stream ${this.tableName()} -> ${this.fn.config.name} ${records.length} records, ok ${Math.round(performance.now() - started)} ms`);
        return;
      } catch (error) {
        const retries = this.mapping.maximumRetryAttempts;
        const giveUp = retries >= 0 && attempt >= retries;
        this.options.log(`stream ${this.tableName()} -> ${this.fn.config.name} ${records.length} records, threw (${(error as Error).message}); ${giveUp ? 'skipped' : 'retrying'}`);
        if (giveUp) return;
        await this.sleep(Math.min(10_000, 500 * 2 ** attempt));
      }
    }
  }

  private tableName(): string {
    return /table\/([^/]+)/.exec(this.streamArn)?.[1] ?? this.streamArn;
  }

  /** The record as Lambda gives it: binary attributes in base64, times in epoch seconds. */
  private record(record: _Record): DynamoDBRecord {
    const base64 = (_key: string, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value);
    const stream = record.dynamodb ?? {};
    const dynamodb = JSON.parse(
      JSON.stringify({ ...stream, ApproximateCreationDateTime: stream.ApproximateCreationDateTime === undefined ? undefined : stream.ApproximateCreationDateTime.getTime() / 1000 }, base64),
    ) as DynamoDBRecord['dynamodb'];
    return {
      eventID: record.eventID,
      eventName: record.eventName,
      eventVersion: record.eventVersion ?? '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: this.options.region,
      dynamodb,
      eventSourceARN: this.streamArn,
    };
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }
}
