import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { actionsUsedBy } from '../helpers/code-permissions.ts';
import { SOURCE_QUEUE_RETENTION_SECONDS } from '../../functions/shared/sqs-batch.ts';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../helpers/package-template.ts';

let template: CfnTemplate;

beforeAll(() => {
  // The `local` stage turns the simulator on, so that its schedule and role are checked here
  // too (live-template.test.ts packages `dev`, where it is off).
  template = packageTemplate('local');
}, 180_000);

const EXPECTED_ROUTES = [
  'GET /health',
  'POST /packets',
  'GET /packets',
  'GET /packets/tables',
  'GET /packets/tables/all',
  'GET /packets/tables/view',
  'GET /packets/tables/views',
  'GET /packets/tables/{protocol}',
  'POST /flows',
  'POST /flowlogs',
  'GET /flows',
  'GET /flowlogs',
  'GET /capabilities',
  'POST /relay-notification',
  'POST /notifications',
  'GET /notifications',
  'POST /devices',
  'POST /netify',
  'GET /devices',
  'GET /devices/{mac}',
  'GET /openapi.json',
  'GET /live',
  'GET /dashboard',
  'GET /dashboard/{file+}',
];

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
/** The HTTP API's routes (the WebSocket API's are checked in live-template.test.ts). */
const httpRoutes = () => resourcesOfType(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties.ApiId) === '{"Ref":"HttpApi"}');

function functionLogicalId(name: string): string {
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
}

describe('the packaged CloudFormation template', () => {
  it('declares exactly the HTTP API routes of the contract', () => {
    const routes = httpRoutes().map(([, r]) => r.Properties.RouteKey);
    expect(routes.sort()).toEqual([...EXPECTED_ROUTES].sort());
  });

  it('puts the API-key authorizer on every route but the public ones (health, capabilities, the contract, the dashboard page)', () => {
    const authorizer = resourcesOfType(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer).toHaveLength(1);
    expect(authorizer[0]?.[1].Properties).toMatchObject({ AuthorizerType: 'REQUEST', EnableSimpleResponses: true, AuthorizerPayloadFormatVersion: '2.0' });
    for (const [, route] of httpRoutes()) {
      const open = ['GET /health', 'GET /capabilities', 'GET /openapi.json', 'GET /dashboard', 'GET /dashboard/{file+}'].includes(route.Properties.RouteKey);
      expect(route.Properties.AuthorizationType, route.Properties.RouteKey).toBe(open ? undefined : 'CUSTOM');
    }
  });

  it('schedules the simulator every minute and its retention every hour', () => {
    const rules = resourcesOfType(template, 'AWS::Events::Rule').map(([, r]) => r.Properties);
    const target = (fn: string) => rules.find((r) => JSON.stringify(r.Targets).includes(functionLogicalId(fn)));
    expect(target('simulator')?.ScheduleExpression).toBe('rate(1 minute)');
    expect(target('simulatorRetention')?.ScheduleExpression).toBe('rate(1 hour)');
  });

  it('throttles the API stage and allows browsers through CORS', () => {
    expect(template.Resources.HttpApiStage?.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingBurstLimit: 500, ThrottlingRateLimit: 200 });
    const cors = template.Resources.HttpApi?.Properties.CorsConfiguration as { AllowOrigins: string[]; AllowHeaders: string[]; ExposeHeaders: string[] };
    expect(cors).toMatchObject({ AllowOrigins: ['*'] });
    // Headers clients send on bulk ingest and retries, and headers they must read back.
    expect(cors.AllowHeaders).toEqual(expect.arrayContaining(['Prefer', 'Idempotency-Key', 'X-Api-Key']));
    expect(cors.ExposeHeaders).toEqual(expect.arrayContaining(['Link', 'Preference-Applied']));
  });

  it('runs every function on nodejs24.x', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(4);
    for (const [, fn] of functions) expect(fn.Properties.Runtime).toBe('nodejs24.x');
  });

  it('sends packets to a queue whose failures go to a longer-lived DLQ', () => {
    const queue = template.Resources.PacketsQueue?.Properties;
    const dlq = template.Resources.PacketsDLQ?.Properties;
    expect(queue?.RedrivePolicy).toEqual({ deadLetterTargetArn: getAtt('PacketsDLQ'), maxReceiveCount: 5 });
    expect(dlq?.MessageRetentionPeriod).toBeGreaterThan(queue?.MessageRetentionPeriod);
    const writerTimeout = template.Resources[functionLogicalId('packetsWriter')]?.Properties.Timeout;
    expect(queue?.VisibilityTimeout).toBeGreaterThanOrEqual(6 * writerTimeout);
  });

  it('asks Lambda for no SQS batch above 10 without a window of at least a second (CreateEventSourceMapping refuses it)', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([id, m]) => [id, m.Properties] as const);
    const sqs = mappings.filter(([, m]) => JSON.stringify(m.EventSourceArn).includes('Queue'));
    expect(sqs.length).toBeGreaterThanOrEqual(4);
    for (const [id, m] of sqs) if (Number(m.BatchSize ?? 10) > 10) expect(Number(m.MaximumBatchingWindowInSeconds ?? 0), id).toBeGreaterThanOrEqual(1);
  });

  it('maps the packets queue to the writer with partial batch responses', () => {
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const packets = mappings.find((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(getAtt('PacketsQueue')));
    expect(packets).toMatchObject({
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FunctionName: getAtt(functionLogicalId('packetsWriter')),
    });
  });

  it('keys the tables as the code expects, on demand, with TTL on idempotency markers', () => {
    const keys = (id: string) => template.Resources[id]?.Properties.KeySchema;
    expect(keys('PacketsTable')).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(keys('PacketCountsTable')).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(keys('IdempotencyTable')).toEqual([{ AttributeName: 'id', KeyType: 'HASH' }]);
    expect(template.Resources.IdempotencyTable?.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expires_at', Enabled: true });
    for (const [, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) expect(table.Properties.BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('gives the functions the queue and table names through the environment', () => {
    const env = template.Resources[functionLogicalId('packetsIngest')]?.Properties.Environment.Variables;
    expect(env).toMatchObject({ PACKETS_QUEUE_URL: { Ref: 'PacketsQueue' }, PACKETS_TABLE: { Ref: 'PacketsTable' } });
  });

  describe('the whole topology', () => {
    const config = loadServiceConfig('serverless.yml');
    const queues = () => resourcesOfType(template, 'AWS::SQS::Queue');

    it('has a Lambda function for every function of serverless.yml, on arm64 and nodejs24.x', () => {
      for (const fn of config.functions) {
        expect(template.Resources[functionLogicalId(fn.name)]?.Properties, fn.name).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
      }
    });

    it('gives every queue a DLQ that keeps messages longer, a visibility timeout of 6x its consumer, and its batching window', () => {
      const sources = queues().filter(([id]) => !id.endsWith('DLQ'));
      expect(sources.map(([id]) => id).sort()).toEqual(['DevicesQueue', 'FlowsQueue', 'NotificationsQueue', 'PacketsQueue']);
      const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
      for (const [id, queue] of sources) {
        const dlqId = `${id.replace(/Queue$/, '')}DLQ`;
        expect(queue.Properties.RedrivePolicy, id).toEqual({ deadLetterTargetArn: getAtt(dlqId), maxReceiveCount: 5 });
        expect(template.Resources[dlqId]?.Properties.MessageRetentionPeriod).toBeGreaterThan(queue.Properties.MessageRetentionPeriod);
        // What npm run redrive allows for, holding back dead letters too old to return.
        expect(queue.Properties.MessageRetentionPeriod, id).toBe(SOURCE_QUEUE_RETENTION_SECONDS);
        // A full 256 KiB body and the writer's reason attributes, whatever the account's default.
        expect(template.Resources[dlqId]?.Properties.MaximumMessageSize, dlqId).toBe(1_048_576);
        const mapping = mappings.find((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(getAtt(id)));
        // A second's window and batches of 100 for the notifications and devices writers; none, and batches of 10 (Lambda
        // takes more only with a window), for flows, whose messages each become their own deltas, and for packets, whose
        // writer stores 10 messages at a time anyway and whose quiet queue should not wait.
        const unwindowed = id === 'FlowsQueue' || id === 'PacketsQueue';
        expect(mapping, id).toMatchObject({ BatchSize: unwindowed ? 10 : 100, FunctionResponseTypes: ['ReportBatchItemFailures'] });
        expect(mapping?.MaximumBatchingWindowInSeconds ?? 0, id).toBe(unwindowed ? 0 : 1);
        // A backlog takes at most 100 concurrent batches of the account's executions.
        expect(mapping?.ScalingConfig, id).toEqual({ MaximumConcurrency: 100 });
        const consumer = (mapping?.FunctionName as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * template.Resources[consumer]?.Properties.Timeout);
      }
    });

    it('outputs the API URL and every queue URL and table name', () => {
      const outputs = Object.keys(template.Outputs);
      expect(outputs).toContain('HttpApiUrl');
      for (const [id] of queues().filter(([q]) => !q.endsWith('DLQ'))) expect(outputs).toContain(`${id}Url`);
      for (const [id] of resourcesOfType(template, 'AWS::DynamoDB::Table').filter(([t]) => t !== 'IdempotencyTable' && t !== 'PacketCountsTable')) {
        expect(outputs).toContain(`${id}Name`);
      }
    });
  });

  describe('least privilege', () => {
    const config = loadServiceConfig('serverless.yml');
    // What Lambda itself needs: logs, and polling for functions with an SQS or DynamoDB Streams event source.
    const PLATFORM = new Set([
      'logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents', 'sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes',
      'dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream', 'dynamodb:ListStreams',
    ]);

    function statementsOf(fnName: string) {
      const roleRef = template.Resources[functionLogicalId(fnName)]?.Properties.Role as { 'Fn::GetAtt': [string, string] };
      const role = template.Resources[roleRef['Fn::GetAtt'][0]];
      expect(role?.Type).toBe('AWS::IAM::Role');
      return (role?.Properties.Policies as { PolicyDocument: { Statement: { Effect: string; Action: string[]; Resource: unknown[] }[] } }[]).flatMap(
        (p) => p.PolicyDocument.Statement,
      );
    }

    it('gives every function a role of its own', () => {
      const roles = config.functions.map((fn) => JSON.stringify(template.Resources[functionLogicalId(fn.name)]?.Properties.Role));
      expect(new Set(roles).size).toBe(config.functions.length);
    });

    it.each(config.functions.map((fn) => [fn.name, fn.handler]))('%s: no wildcard, and no permission its code never uses', (name, handler) => {
      const used = actionsUsedBy(handler);
      for (const statement of statementsOf(name)) {
        expect(statement.Effect).toBe('Allow');
        for (const action of statement.Action) {
          expect(action, `${name}: ${action}`).not.toMatch(/\*/);
          if (!PLATFORM.has(action)) expect(used.has(action), `${name} is granted ${action}, which its code never calls`).toBe(true);
        }
        for (const resource of statement.Resource) expect(resource, `${name}: a wildcard resource`).not.toBe('*');
      }
    });

    it('lets every writer send to its DLQ and, for messages it had no time for, to its own queue', () => {
      for (const fn of config.functions.filter((f) => f.sqs.length > 0)) {
        const sends = statementsOf(fn.name).filter((s) => s.Action.includes('sqs:SendMessage')).flatMap((s) => s.Resource.map((r) => JSON.stringify(r)));
        for (const { arn } of fn.sqs) {
          const queue = (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
          expect(sends, fn.name).toEqual(expect.arrayContaining([JSON.stringify(getAtt(queue)), JSON.stringify(getAtt(queue.replace(/Queue$/, 'DLQ')))]));
        }
      }
    });

    it('grants the sqs event-source permissions only to consumers', () => {
      for (const fn of config.functions) {
        const actions = statementsOf(fn.name).flatMap((s) => s.Action);
        expect(actions.includes('sqs:ReceiveMessage'), fn.name).toBe(fn.sqs.length > 0);
      }
    });
  });

  it('alarms on every dead-letter queue holding a message and every stream consumer falling behind, notifying no one unless a stage names a topic', () => {
    const alarms = Object.fromEntries(resourcesOfType(template, 'AWS::CloudWatch::Alarm'));
    const dlqs = resourcesOfType(template, 'AWS::SQS::Queue').map(([id]) => id).filter((id) => id.endsWith('DLQ'));
    expect(dlqs.sort()).toEqual(['DevicesDLQ', 'FlowsDLQ', 'NotificationsDLQ', 'PacketsDLQ']);
    for (const dlq of dlqs) {
      expect(alarms[`${dlq}MessagesAlarm`]?.Properties, dlq).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
    const consumers = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')
      .filter(([, mapping]) => JSON.stringify(mapping.Properties.EventSourceArn).includes('StreamArn'))
      .map(([, mapping]) => (mapping.Properties.FunctionName as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0]);
    expect(consumers.length).toBeGreaterThanOrEqual(3);
    for (const fn of consumers) {
      expect(alarms[`${fn}IteratorAgeAlarm`]?.Properties, fn).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn } }] });
    }
    expect(Object.keys(alarms)).toHaveLength(dlqs.length + new Set(consumers).size);
    for (const alarm of Object.values(alarms)) expect(alarm.Properties.AlarmActions).toBeUndefined();
  });
});
