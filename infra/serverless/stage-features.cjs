'use strict';
// A serverless plugin of this project: what a stage parameter (read into `custom`) changes in
// the stack (the API type, data protection, where alarms notify), the alarms made from the
// queues and functions declared, and parts of the service that a stage may leave out, each
// switched by a stage parameter. The local runtime applies the same table
// (infra/local/service-config.ts), so that `npm start` runs what a deploy would create.
// - live: GET /live, the WebSocket API, the broadcaster, their table and secret. Emulators
//   without WebSocket APIs (LocalStack's free plan) still run everything else.
// - simulator: seed 004's simulated network and its retention job. It is a demo: its
//   packets, flows and devices land in the same tables as real clients' data.
const FEATURES = {
  live: { functions: ['live', 'liveSocket', 'liveBroadcaster'], resources: ['LiveConnectionsTable', 'LiveTokenSecret'], outputs: ['LiveConnectionsTableName'] },
  simulator: { functions: ['simulator', 'simulatorRetention'], resources: [], outputs: [] },
};

/** What the stage leaves out: the parts of every feature whose `custom` switch is "off". */
function omittedParts(custom) {
  const off = Object.keys(FEATURES).filter((name) => String(custom?.[name] ?? 'on') === 'off');
  const parts = (kind) => off.flatMap((name) => FEATURES[name][kind]);
  return { features: off, functions: parts('functions'), resources: parts('resources'), outputs: parts('outputs') };
}

// - apiType: 'http' (the default) serves the routes from an HTTP API; 'rest' from a REST API,
//   for emulators without HTTP APIs (LocalStack's free plan). The same functions take either
//   payload (functions/shared/rest-event.ts), the authorizer answers a policy, and what only
//   an HTTP API has is left out: the mutual-TLS custom domain and the stage's throttling.
const HTTP_API_ONLY = { resources: ['MutualTlsDomainName', 'MutualTlsApiMapping'], outputs: ['MutualTlsDomainUrl', 'MutualTlsDomainTarget'], extensions: ['HttpApiStage'] };

/** A function's httpApi events as REST API (http) events: same methods and paths, CORS, the authorizer. */
function restEvents(events, cors) {
  return events.map((event) => {
    if (event.httpApi === undefined) return event;
    const route = typeof event.httpApi === 'string' ? { method: event.httpApi.split(' ')[0], path: event.httpApi.split(' ')[1] } : event.httpApi;
    return {
      http: {
        method: route.method,
        path: route.path,
        cors: { origin: '*', headers: cors.allowedHeaders, allowCredentials: false },
        // Not cached: the decision depends on the method, and a cached policy names one method.
        ...(route.authorizer ? { authorizer: { name: 'authorizer', type: 'request', resultTtlInSeconds: 0 } } : {}),
      },
    };
  });
}

class StageFeatures {
  constructor(serverless) {
    this.serverless = serverless;
    // Also before `info`, so that it lists what the stage deployed.
    this.hooks = { 'before:package:initialize': () => this.apply(), 'before:info:info': () => this.apply() };
  }

  apply() {
    const service = this.serverless.service;
    if (String(service.custom?.apiType ?? 'http') === 'rest') this.restApi(service);
    if (String(service.custom?.dataProtection ?? 'off') === 'on') this.protectData(service);
    const omitted = omittedParts(service.custom);
    if (omitted.features.length > 0) {
      for (const name of omitted.functions) delete service.functions[name];
      const resources = service.resources ?? {};
      for (const name of omitted.resources) delete resources.Resources?.[name];
      for (const name of omitted.outputs) delete resources.Outputs?.[name];
      this.serverless.cli.log(`left out of this stage: ${omitted.features.join(', ')} (stage parameters)`);
    }
    // After the omissions: a function the stage leaves out gets no alarm.
    this.alarms(service);
  }
}

// Alarms, one per dead-letter queue and one per stream-fed function, made here from the
// queues and functions serverless.yml declares, so that a queue or consumer added there is
// watched too. A dead letter waits for its cause to be fixed and `npm run redrive`; a stream
// consumer falling behind (IteratorAge) delays folds and live pushes. Each notifies the SNS
// topic of the stage parameter alarmTopicArn, when a stage names one.
const DEAD_LETTER_QUEUE = /DLQ$/;
const ITERATOR_AGE_LIMIT_MS = 5 * 60_000;

StageFeatures.prototype.alarms = function alarms(service) {
  const resources = (service.resources ??= {});
  resources.Resources ??= {};
  const topic = String(service.custom?.alarmTopicArn ?? '');
  const common = { Period: 300, EvaluationPeriods: 1, Statistic: 'Maximum', TreatMissingData: 'notBreaching', ...(topic === '' ? {} : { AlarmActions: [topic] }) };
  const queues = Object.entries(resources.Resources).filter(([name, r]) => r.Type === 'AWS::SQS::Queue' && DEAD_LETTER_QUEUE.test(name));
  for (const [name] of queues) {
    resources.Resources[`${name}MessagesAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        ...common,
        AlarmDescription: `${name} holds messages a writer could not store: see their reason attribute, fix the cause, then npm run redrive`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [name, 'QueueName'] } }],
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      },
    };
  }
  const naming = this.serverless.getProvider('aws').naming;
  const consumers = Object.entries(service.functions ?? {}).filter(([, fn]) => (fn.events ?? []).some((event) => event.stream !== undefined));
  for (const [name] of consumers) {
    const logicalId = naming.getLambdaLogicalId(name);
    resources.Resources[`${logicalId}IteratorAgeAlarm`] = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        ...common,
        AlarmDescription: `${name} reads its stream more than ${ITERATOR_AGE_LIMIT_MS / 60_000} minutes behind`,
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId } }],
        Threshold: ITERATOR_AGE_LIMIT_MS,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    };
  }
};

StageFeatures.prototype.restApi = function restApi(service) {
  const cors = service.provider.httpApi?.cors ?? {};
  for (const fn of Object.values(service.functions)) fn.events = restEvents(fn.events ?? [], cors);
  const resources = service.resources ?? {};
  for (const name of HTTP_API_ONLY.resources) delete resources.Resources?.[name];
  for (const name of HTTP_API_ONLY.outputs) delete resources.Outputs?.[name];
  for (const name of HTTP_API_ONLY.extensions) delete resources.extensions?.[name];
  this.serverless.cli.log('routes served by a REST API (stage parameter apiType: rest)');
};

// - dataProtection: 'on' (stage prod) keeps the tables' data through a mistaken `osls
//   remove` or a change that would replace a table: deletion protection, Retain policies,
//   and point-in-time recovery. Off elsewhere, so that a dev or emulator stack removes
//   cleanly. The live connections table holds only open sockets and is left as it is.
const UNPROTECTED_TABLES = ['LiveConnectionsTable'];

StageFeatures.prototype.protectData = function protectData(service) {
  const tables = Object.entries(service.resources?.Resources ?? {}).filter(([name, resource]) => resource.Type === 'AWS::DynamoDB::Table' && !UNPROTECTED_TABLES.includes(name));
  for (const [, table] of tables) {
    table.DeletionPolicy = 'Retain';
    table.UpdateReplacePolicy = 'Retain';
    table.Properties = { ...table.Properties, DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };
  }
  this.serverless.cli.log(`data protection on for ${tables.length} tables (stage parameter dataProtection: on)`);
};

module.exports = StageFeatures;
module.exports.omittedParts = omittedParts;
