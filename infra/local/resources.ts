import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  type StreamSpecification,
  type CreateTableCommandInput,
  type AttributeDefinition,
  type GlobalSecondaryIndex,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { CfnResource } from './service-config.ts';

export interface QueueResource {
  logicalId: string;
  name: string;
  url: string;
  arn: string;
  visibilityTimeout: number;
}

export interface TableResource {
  logicalId: string;
  name: string;
  arn: string;
  /** The table's DynamoDB Stream, when serverless.yml gives it a StreamSpecification. */
  streamArn?: string;
}

export interface CreatedResources {
  queues: Map<string, QueueResource>;
  tables: Map<string, TableResource>;
}

export interface ResourceOverrides {
  /**
   * Rewrites queue URLs onto this endpoint. Emulators answer with URLs such as
   * http://sqs.us-east-1.localhost:4566/..., whose host need not resolve; the SDK
   * sends to a queue URL's host, so the URL must name the endpoint itself.
   */
  sqsEndpoint?: string;
  /** Seconds; replaces every queue's VisibilityTimeout so that tests need not wait minutes. */
  visibilityTimeout?: number;
}

const QUEUE_ATTRIBUTES = [
  'VisibilityTimeout',
  'MessageRetentionPeriod',
  'DelaySeconds',
  'MaximumMessageSize',
  'ReceiveMessageWaitTimeSeconds',
] as const;

/**
 * Creates the queues and tables that serverless.yml declares under resources, with the
 * same properties (keys, billing, TTL, visibility, retention, redrive to the DLQ).
 * Existing ones are kept, so a restart over a DATA_DIR finds its data again.
 */
export async function createResources(
  resources: Record<string, CfnResource>,
  clients: { sqs: SQSClient; dynamodb: DynamoDBClient },
  region: string,
  overrides: ResourceOverrides = {},
): Promise<CreatedResources> {
  const created: CreatedResources = { queues: new Map(), tables: new Map() };
  const queues = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::SQS::Queue');
  // Dead-letter queues first: a redrive policy names its DLQ's ARN.
  queues.sort(([, a], [, b]) => Number(a.Properties?.RedrivePolicy !== undefined) - Number(b.Properties?.RedrivePolicy !== undefined));
  for (const [logicalId, resource] of queues) {
    created.queues.set(logicalId, await createQueue(logicalId, resource.Properties ?? {}, clients.sqs, created, overrides));
  }
  const tables = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::DynamoDB::Table');
  await Promise.all(
    tables.map(async ([logicalId, resource]) => {
      created.tables.set(logicalId, await createTable(logicalId, resource.Properties ?? {}, clients.dynamodb, region));
    }),
  );
  return created;
}

async function createQueue(
  logicalId: string,
  properties: Record<string, unknown>,
  sqs: SQSClient,
  created: CreatedResources,
  overrides: ResourceOverrides,
): Promise<QueueResource> {
  const name = String(properties.QueueName ?? logicalId);
  const attributes: Record<string, string> = {};
  for (const attribute of QUEUE_ATTRIBUTES) {
    if (properties[attribute] !== undefined) attributes[attribute] = String(properties[attribute]);
  }
  if (overrides.visibilityTimeout !== undefined) attributes.VisibilityTimeout = String(overrides.visibilityTimeout);
  const redrive = properties.RedrivePolicy as Record<string, unknown> | undefined;
  if (redrive !== undefined) {
    attributes.RedrivePolicy = JSON.stringify({
      deadLetterTargetArn: resolveIntrinsic(redrive.deadLetterTargetArn, created),
      maxReceiveCount: Number(redrive.maxReceiveCount),
    });
  }
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = overrides.sqsEndpoint === undefined ? (QueueUrl as string) : new URL(new URL(QueueUrl as string).pathname, overrides.sqsEndpoint).href;
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }));
  return { logicalId, name, url, arn: String(Attributes?.QueueArn), visibilityTimeout: Number(Attributes?.VisibilityTimeout ?? 30) };
}

async function createTable(logicalId: string, properties: Record<string, unknown>, dynamodb: DynamoDBClient, region: string): Promise<TableResource> {
  const name = String(properties.TableName ?? logicalId);
  const input = {
    TableName: name,
    AttributeDefinitions: properties.AttributeDefinitions,
    KeySchema: properties.KeySchema,
    BillingMode: properties.BillingMode ?? 'PAY_PER_REQUEST',
    GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
    LocalSecondaryIndexes: properties.LocalSecondaryIndexes,
    ProvisionedThroughput: properties.ProvisionedThroughput,
    StreamSpecification: streamSpecification(properties),
  } as CreateTableCommandInput;
  try {
    await dynamodb.send(new CreateTableCommand(input));
    const ttl = properties.TimeToLiveSpecification as { AttributeName: string; Enabled: boolean } | undefined;
    if (ttl?.Enabled) {
      await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: name, TimeToLiveSpecification: ttl }));
    }
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    await ensureIndexes(name, properties, dynamodb);
  }
  return { logicalId, name, arn: `arn:aws:dynamodb:${region}:000000000000:table/${name}`, streamArn: await ensureStream(name, properties, dynamodb) };
}

/**
 * A table kept in DATA_DIR from before an index of its was declared gets it now, as
 * CloudFormation adds one to a deployed table (one at a time), and is used once it is active.
 */
async function ensureIndexes(name: string, properties: Record<string, unknown>, dynamodb: DynamoDBClient): Promise<void> {
  const wanted = (properties.GlobalSecondaryIndexes ?? []) as GlobalSecondaryIndex[];
  if (wanted.length === 0) return;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
  const missing = wanted.filter((index) => !Table?.GlobalSecondaryIndexes?.some((existing) => existing.IndexName === index.IndexName));
  for (const index of missing) {
    await dynamodb.send(
      new UpdateTableCommand({ TableName: name, AttributeDefinitions: properties.AttributeDefinitions as AttributeDefinition[], GlobalSecondaryIndexUpdates: [{ Create: index }] }),
    );
    for (let wait = 0; wait < 600; wait++) {
      const { Table: now } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
      if (now?.GlobalSecondaryIndexes?.find((existing) => existing.IndexName === index.IndexName)?.IndexStatus === 'ACTIVE') break;
      await sleep(100);
    }
  }
}

/** CloudFormation's StreamSpecification holds only the view type; the API also needs it enabled. */
function streamSpecification(properties: Record<string, unknown>): StreamSpecification | undefined {
  const view = (properties.StreamSpecification as { StreamViewType?: string } | undefined)?.StreamViewType;
  return view === undefined ? undefined : ({ StreamEnabled: true, StreamViewType: view } as StreamSpecification);
}

/** The table's stream ARN; a table kept in DATA_DIR from before its stream was declared gets one now. */
async function ensureStream(name: string, properties: Record<string, unknown>, dynamodb: DynamoDBClient): Promise<string | undefined> {
  const wanted = streamSpecification(properties);
  if (wanted === undefined) return undefined;
  const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: name }));
  if (Table?.StreamSpecification?.StreamEnabled === true && Table.LatestStreamArn !== undefined) return Table.LatestStreamArn;
  const updated = await dynamodb.send(new UpdateTableCommand({ TableName: name, StreamSpecification: wanted }));
  return updated.TableDescription?.LatestStreamArn;
}

/** Ref, Fn::GetAtt, Fn::Join and Fn::Sub over the resources created here. */
export function resolveIntrinsic(value: unknown, created: CreatedResources): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsic(v, created));
  const node = value as Record<string, unknown>;
  if ('Ref' in node) return reference(String(node.Ref), 'Ref', created);
  if ('Fn::GetAtt' in node) {
    const [id, attribute] = node['Fn::GetAtt'] as [string, string];
    return reference(id, attribute, created);
  }
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => resolveIntrinsic(p, created)).join(separator);
  }
  if ('Fn::Sub' in node && typeof node['Fn::Sub'] === 'string') {
    return (node['Fn::Sub'] as string).replace(/\$\{([\w.]+)\}/g, (_, ref: string) => {
      const [id, attribute] = ref.split('.');
      return String(reference(id as string, attribute ?? 'Ref', created));
    });
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveIntrinsic(v, created)]));
}

function reference(logicalId: string, attribute: string, created: CreatedResources): string {
  const queue = created.queues.get(logicalId);
  if (queue !== undefined) {
    if (attribute === 'Ref' || attribute === 'QueueUrl') return queue.url;
    if (attribute === 'Arn') return queue.arn;
    if (attribute === 'QueueName') return queue.name;
  }
  const table = created.tables.get(logicalId);
  if (table !== undefined) {
    if (attribute === 'Ref') return table.name;
    if (attribute === 'Arn') return table.arn;
    if (attribute === 'StreamArn' && table.streamArn !== undefined) return table.streamArn;
  }
  throw new Error(`serverless.yml: the local runtime cannot resolve ${attribute} of ${logicalId}`);
}
