import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { BatchWriteItemCommand, CreateTableCommand, DescribeTableCommand, DynamoDBClient, PutItemCommand, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { createResources } from '../../infra/local/resources.ts';
import { startEmulators } from '../../infra/local/emulators.ts';
import { seen } from '../fixtures/handlers.ts';
import { eventually, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
const sqs = new SQSClient({});
const dynamodb = new DynamoDBClient({});

beforeAll(async () => {
  runtime = await startTestRuntime({
    configFile: 'test/fixtures/runtime-service.yml',
    // Longer than the batching window (1 s), or a batch still being collected would reappear.
    overrides: { visibilityTimeout: 3 },
    clockSpeed: 600,
    schedules: true,
    streamEventSources: true,
  });
});
afterAll(async () => {
  await runtime?.stop();
  sqs.destroy();
  dynamodb.destroy();
});

function queueUrl(logicalId: string): string {
  const queue = runtime.resources.queues.get(logicalId);
  if (queue === undefined) throw new Error(`no queue ${logicalId}`);
  return queue.url;
}

async function visibleMessages(logicalId: string): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl(logicalId), AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
}

async function send(logicalId: string, bodies: string[]) {
  for (let i = 0; i < bodies.length; i += 10) {
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl(logicalId),
        Entries: bodies.slice(i, i + 10).map((body, j) => ({ Id: String(j), MessageBody: body })),
      }),
    );
  }
}

describe('the local runtime', () => {
  it('creates the queues of serverless.yml with their redrive policies', async () => {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl('WorkQueue'), AttributeNames: ['All'] }));
    expect(JSON.parse(String(Attributes?.RedrivePolicy))).toEqual({
      deadLetterTargetArn: runtime.resources.queues.get('WorkDLQ')?.arn,
      maxReceiveCount: 2,
    });
  });

  it('batches up to batchSize within the batching window, retries only failed messages, and dead-letters them after maxReceiveCount', async () => {
    const bodies = [...Array.from({ length: 15 }, (_, i) => `ok-${i}`), 'fail-a', 'fail-b'];
    await send('WorkQueue', bodies);
    // Each failing message is received maxReceiveCount (2) times, then the redrive policy moves it.
    await eventually(async () => ((await visibleMessages('WorkDLQ')) === 2 ? true : undefined), 30_000, 'two messages in the DLQ');
    const received = (body: string) => seen.worker.filter((s) => s.body === body);
    for (const body of bodies.filter((b) => b.startsWith('ok'))) expect(received(body)).toHaveLength(1);
    expect(received('fail-a').map((s) => s.receiveCount)).toEqual(['1', '2']);
    expect(received('fail-b').map((s) => s.receiveCount)).toEqual(['1', '2']);
    // Seventeen messages sent at once arrive in batches larger than one SQS receive (10).
    expect(Math.max(...seen.worker.map((s) => s.batchSize))).toBeGreaterThan(10);
    expect(await visibleMessages('WorkQueue')).toBe(0);
  });

  it('returns the whole batch to the queue when the function throws', async () => {
    await send('ThrowQueue', ['t1', 't2']);
    await eventually(async () => ((await visibleMessages('ThrowDLQ')) === 2 ? true : undefined), 30_000, 'thrown batch in the DLQ');
    expect(seen.thrower.filter((b) => b === 't1')).toHaveLength(3);
    expect(seen.thrower.filter((b) => b === 't2')).toHaveLength(3);
  });

  it('fires schedules with EventBridge payloads on an accelerated clock', async () => {
    await eventually(async () => (seen.ticks.length >= 3 ? true : undefined), 10_000, 'three ticks');
    const scheduled = seen.ticks.filter((t) => (t as Record<string, unknown>)['detail-type'] === 'Scheduled Event') as {
      time: string;
      source: string;
      resources: string[];
    }[];
    expect(scheduled.length).toBeGreaterThanOrEqual(2);
    expect(scheduled[0]?.source).toBe('aws.events');
    expect(scheduled[0]?.resources[0]).toMatch(/^arn:aws:events:us-east-1:000000000000:rule\/fixture-/);
    const gap = Date.parse(scheduled[1]?.time ?? '') - Date.parse(scheduled[0]?.time ?? '');
    expect(gap).toBe(60_000);
    // At 600x an hour passes in six seconds: the hourly cron fires with its configured input.
    await eventually(async () => (seen.ticks.some((t) => (t as { hourly?: boolean }).hourly === true) ? true : undefined), 15_000, 'the hourly cron');
  });

  it('maps HTTP requests to payload 2.0 events and responses back as API Gateway does', async () => {
    const response = await fetch(`${runtime.url}/echo/42?a=1&a=2&b=x`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'c=3; d=4' },
      body: '{"x":1}',
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-route')).toBe('POST /echo/{id}');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    const { event, remaining, fn } = (await response.json()) as { event: Record<string, any>; remaining: number; fn: string };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /echo/{id}',
      rawPath: '/echo/42',
      rawQueryString: 'a=1&a=2&b=x',
      queryStringParameters: { a: '1,2', b: 'x' },
      pathParameters: { id: '42' },
      cookies: ['c=3', 'd=4'],
      body: '{"x":1}',
      isBase64Encoded: false,
    });
    expect(event.requestContext.http).toMatchObject({ method: 'POST', path: '/echo/42' });
    expect(remaining).toBeGreaterThan(0);
    expect(fn).toMatch(/^fixture-.*-echo$/);

    const plain = await fetch(`${runtime.url}/echo/plain`, { method: 'POST' });
    expect(plain.status).toBe(200);
    expect(await plain.json()).toEqual({ hello: 'world' });

    const greedy = await fetch(`${runtime.url}/files/a/b/c`);
    expect(((await greedy.json()) as { event: { pathParameters: unknown } }).event.pathParameters).toEqual({ path: 'a/b/c' });

    const binary = await fetch(`${runtime.url}/echo/1`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0xff, 0x00]) });
    expect(((await binary.json()) as { event: { body: string; isBase64Encoded: boolean } }).event).toMatchObject({ body: '/wA=', isBase64Encoded: true });

    expect((await fetch(`${runtime.url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/echo/1`)).status).toBe(404);
  });

  it('keeps each invocation its own log context while others run at once in the process, as Lambda Managed Instances do', async () => {
    const lines: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).includes('logged after waiting')) lines.push(String(chunk));
      return write(chunk, ...(rest as []));
    });
    onTestFinished(() => spy.mockRestore());
    // A starts first and logs last: B's invocation has begun, and ended, in the meantime.
    const a = fetch(`${runtime.url}/logged/a?wait=300&tag=a`);
    await sleep(50);
    const b = fetch(`${runtime.url}/logged/b?wait=0&tag=b`);
    expect((await Promise.all([a, b])).map((r) => r.status)).toEqual([204, 204]);
    const logged = lines.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { function_name: string; tag: string });
    expect(logged.map(({ function_name, tag }) => [function_name.replace(/^fixture-.*-logger/, ''), tag]).sort()).toEqual([
      ['A', 'a'],
      ['B', 'b'],
    ]);
  });

  it("delivers a stream's records to its function only where one of the mapping's filter patterns matches them", async () => {
    const TableName = runtime.resources.tables.get('EventsTable')?.name;
    const put = (sk: string) => dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'p' }, sk: { S: sk } } }));
    // keep~: INSERT only; also~: any event; drop~: none.
    for (const sk of ['drop~1', 'keep~1', 'also~1', 'drop~2', 'keep~2']) await put(sk);
    for (const sk of ['keep~1', 'also~1', 'drop~1']) {
      await dynamodb.send(new UpdateItemCommand({ TableName, Key: { pk: { S: 'p' }, sk: { S: sk } }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': { N: '1' } } }));
    }
    // A last record that matches: once it is seen, every record before it was read.
    await put('keep~3');
    await eventually(async () => (seen.watcher.some((r) => r.sk === 'keep~3') ? true : undefined), 20_000, 'the last record delivered');
    expect(seen.watcher).toEqual([
      { eventName: 'INSERT', sk: 'keep~1' },
      { eventName: 'INSERT', sk: 'also~1' },
      { eventName: 'INSERT', sk: 'keep~2' },
      { eventName: 'MODIFY', sk: 'also~1' },
      { eventName: 'INSERT', sk: 'keep~3' },
    ]);
  });

  it("keeps a data directory's tables and queued messages through a restart, their writes logged ahead rather than synced one by one", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'netingest-data-'));
    const local = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const TableName = 'kept-through-a-restart';
    const items = Array.from({ length: 100 }, (_, i) => ({ pk: { S: 'p' }, sk: { S: String(i).padStart(3, '0') } }));
    const bodies = Array.from({ length: 30 }, (_, i) => `message ${i}`);
    let own = await startEmulators({ dataDir });
    const clients = () => ({ dynamodb: new DynamoDBClient({ ...local, endpoint: own.endpoints.dynamodb }), sqs: new SQSClient({ ...local, endpoint: own.endpoints.sqs }) });
    let { dynamodb, sqs } = clients();
    onTestFinished(async () => {
      dynamodb.destroy();
      sqs.destroy();
      await own.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });
    await dynamodb.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }] }));
    for (let i = 0; i < items.length; i += 25) await dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [TableName]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) } }));
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'kept-through-a-restart' }));
    for (let i = 0; i < bodies.length; i += 10) await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: bodies.slice(i, i + 10).map((MessageBody, j) => ({ Id: String(j), MessageBody })) }));
    // DynamoDbLocalLoopback.java put the database in write-ahead-log mode (fauxqs's is; were
    // its commits no longer set to sync at checkpoints, startEmulators would have thrown).
    expect(existsSync(join(dataDir, 'dynamodb', 'shared-local-instance.db-wal'))).toBe(true);
    dynamodb.destroy();
    sqs.destroy();
    await own.stop();
    own = await startEmulators({ dataDir });
    ({ dynamodb, sqs } = clients());
    const { Items } = await dynamodb.send(new QueryCommand({ TableName, KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': { S: 'p' } } }));
    expect(Items?.map((i) => i.sk?.S)).toEqual(items.map((i) => i.sk.S));
    const received: string[] = [];
    for (let polls = 0; received.length < bodies.length && polls < 20; polls++) {
      const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      received.push(...Messages.map((m) => m.Body ?? ''));
    }
    expect(received.sort()).toEqual([...bodies].sort());
  });

  it('gives a table kept from before an index was declared that index, filled, as CloudFormation would', async () => {
    // On a DynamoDB Local of its own: in CI the run's shared one, busy with every other
    // file's streams and transactions, had not made the index within the test's minute.
    const own = await startEmulators();
    const local = { region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };
    const dynamodb = new DynamoDBClient({ ...local, endpoint: own.endpoints.dynamodb });
    const sqs = new SQSClient({ ...local, endpoint: own.endpoints.sqs });
    onTestFinished(async () => {
      dynamodb.destroy();
      sqs.destroy();
      await own.stop();
    });
    const TableName = 'kept-from-before-its-index';
    const keys = { AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }, { AttributeName: 'sk', AttributeType: 'S' as const }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }, { AttributeName: 'sk', KeyType: 'RANGE' as const }] };
    await dynamodb.send(new CreateTableCommand({ TableName, BillingMode: 'PAY_PER_REQUEST', ...keys }));
    await dynamodb.send(new PutItemCommand({ TableName, Item: { pk: { S: 'dev#1' }, sk: { S: 'app#a' }, app_of: { S: '1' }, last_seen: { S: '2026-01-01T00:00:00Z' } } }));
    const index = { IndexName: 'applications', KeySchema: [{ AttributeName: 'app_of', KeyType: 'HASH' }, { AttributeName: 'last_seen', KeyType: 'RANGE' }], Projection: { ProjectionType: 'KEYS_ONLY' } };
    const properties = {
      TableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [...keys.AttributeDefinitions, { AttributeName: 'app_of', AttributeType: 'S' }, { AttributeName: 'last_seen', AttributeType: 'S' }],
      KeySchema: keys.KeySchema,
      GlobalSecondaryIndexes: [index],
    };
    await createResources({ Kept: { Type: 'AWS::DynamoDB::Table', Properties: properties } }, { sqs, dynamodb }, 'us-east-1');
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.IndexStatus])).toEqual([['applications', 'ACTIVE']]);
    const { Items } = await dynamodb.send(new QueryCommand({ TableName, IndexName: 'applications', KeyConditionExpression: 'app_of = :d', ExpressionAttributeValues: { ':d': { S: '1' } } }));
    expect(Items?.map((i) => i.sk?.S)).toEqual(['app#a']);
  });
});
