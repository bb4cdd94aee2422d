import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parse } from 'yaml';

// The plugin that leaves features out of a stage at deploy: the same table here.
const { omittedParts } = createRequire(import.meta.url)('../serverless/stage-features.cjs') as {
  omittedParts: (custom: unknown) => { functions: string[]; resources: string[]; outputs: string[] };
};

/**
 * serverless.yml, read and with its ${...} variables resolved the way the framework
 * resolves them (self, sls, opt, env, aws sources and fallbacks). CloudFormation
 * intrinsics (Ref, Fn::GetAtt, ...) are left for the runtime to resolve against the
 * resources it created.
 */
export interface HttpApiEvent {
  method: string;
  path: string;
  authorizer?: string;
}
export interface AuthorizerConfig {
  name: string;
  functionName: string;
  enableSimpleResponses: boolean;
  identitySource: string[];
  resultTtlInSeconds: number;
}
export interface SqsEvent {
  arn: unknown;
  batchSize: number;
  maximumBatchingWindow: number;
  functionResponseType?: string;
}
export interface ScheduleEvent {
  expression: string;
  enabled: boolean;
  input?: unknown;
}
/** A WebSocket API route ($connect, $disconnect, $default or a custom route key). */
export interface WebsocketEvent {
  route: string;
}
/** A DynamoDB Streams event source mapping. */
export interface StreamEvent {
  arn: unknown;
  batchSize: number;
  batchWindow: number;
  startingPosition: 'LATEST' | 'TRIM_HORIZON';
  maximumRetryAttempts: number;
  enabled: boolean;
  /** Lambda's filter patterns (event-filter.ts): records matching none are not delivered. */
  filterPatterns: unknown[];
}
export interface FunctionConfig {
  name: string;
  handler: string;
  timeout: number;
  memorySize: number;
  environment: Record<string, unknown>;
  httpApi: HttpApiEvent[];
  sqs: SqsEvent[];
  schedule: ScheduleEvent[];
  websocket: WebsocketEvent[];
  stream: StreamEvent[];
}
export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface ServiceConfig {
  service: string;
  stage: string;
  region: string;
  functions: FunctionConfig[];
  authorizers: Map<string, AuthorizerConfig>;
  resources: Record<string, CfnResource>;
  outputs: Record<string, unknown>;
}

export interface ResolveContext {
  stage?: string;
  region?: string;
  env?: NodeJS.ProcessEnv;
  /** Stage parameters that win over serverless.yml's, as `osls deploy --param="name=value"`. */
  params?: Record<string, string>;
}

type Raw = Record<string, unknown>;

export function loadServiceConfig(file: string, context: ResolveContext = {}): ServiceConfig {
  const raw = parse(readFileSync(file, 'utf8')) as Raw;
  const resolver = new VariableResolver(raw, context);
  const doc = resolver.resolve(raw) as Raw;
  const provider = (doc.provider ?? {}) as Raw;
  const providerEnv = (provider.environment ?? {}) as Record<string, unknown>;
  const omitted = omittedParts(doc.custom);
  const functions = Object.entries((doc.functions ?? {}) as Record<string, Raw>)
    .filter(([name]) => !omitted.functions.includes(name))
    .map(([name, fn]) => functionConfig(name, fn, provider, providerEnv));
  const without = (entries: Record<string, unknown>, names: string[]) => Object.fromEntries(Object.entries(entries).filter(([name]) => !names.includes(name)));
  const resources = without(((doc.resources as Raw | undefined)?.Resources ?? {}) as Raw, omitted.resources) as Record<string, CfnResource>;
  const outputs = without(((doc.resources as Raw | undefined)?.Outputs ?? {}) as Raw, omitted.outputs);
  const httpApi = (provider.httpApi ?? {}) as Raw;
  const authorizers = new Map<string, AuthorizerConfig>();
  for (const [name, raw] of Object.entries((httpApi.authorizers ?? {}) as Record<string, Raw>)) {
    if (raw.type !== 'request') throw new Error(`authorizer ${name}: the local runtime supports request (Lambda) authorizers only`);
    const sources = raw.identitySource === undefined ? [] : Array.isArray(raw.identitySource) ? raw.identitySource : [raw.identitySource];
    authorizers.set(name, {
      name,
      functionName: String(raw.functionName),
      enableSimpleResponses: raw.enableSimpleResponses === true,
      identitySource: sources.map(String),
      resultTtlInSeconds: Number(raw.resultTtlInSeconds ?? 0),
    });
  }
  return {
    service: String(doc.service),
    stage: String(provider.stage ?? context.stage ?? 'dev'),
    region: String(provider.region ?? 'us-east-1'),
    functions,
    authorizers,
    resources,
    outputs,
  };
}

function functionConfig(name: string, fn: Raw, provider: Raw, providerEnv: Record<string, unknown>): FunctionConfig {
  const events = (fn.events ?? []) as Raw[];
  const httpApi: HttpApiEvent[] = [];
  const sqs: SqsEvent[] = [];
  const schedule: ScheduleEvent[] = [];
  const websocket: WebsocketEvent[] = [];
  const stream: StreamEvent[] = [];
  for (const event of events) {
    if (event.websocket !== undefined) websocket.push(websocketEvent(event.websocket));
    if (event.stream !== undefined) stream.push(streamEvent(event.stream));
    if (event.httpApi !== undefined) httpApi.push(httpApiEvent(event.httpApi));
    if (event.sqs !== undefined) sqs.push(sqsEvent(event.sqs));
    if (event.schedule !== undefined) schedule.push(...scheduleEvents(event.schedule));
  }
  return {
    name,
    handler: String(fn.handler),
    timeout: Number(fn.timeout ?? provider.timeout ?? 6),
    memorySize: Number(fn.memorySize ?? provider.memorySize ?? 1024),
    environment: { ...providerEnv, ...((fn.environment ?? {}) as Record<string, unknown>) },
    httpApi,
    sqs,
    schedule,
    websocket,
    stream,
  };
}

function websocketEvent(value: unknown): WebsocketEvent {
  const route = typeof value === 'string' ? value : (value as Raw).route;
  return { route: String(route) };
}

function streamEvent(value: unknown): StreamEvent {
  const event = (typeof value === 'object' && value !== null && 'arn' in value ? value : { arn: value }) as Raw;
  if (event.type !== undefined && event.type !== 'dynamodb') throw new Error(`stream events: the local runtime supports DynamoDB Streams only, not ${String(event.type)}`);
  return {
    arn: event.arn,
    batchSize: Number(event.batchSize ?? 100),
    batchWindow: Number(event.batchWindow ?? 0),
    startingPosition: event.startingPosition === 'TRIM_HORIZON' ? 'TRIM_HORIZON' : 'LATEST',
    maximumRetryAttempts: Number(event.maximumRetryAttempts ?? -1),
    enabled: event.enabled !== false,
    filterPatterns: Array.isArray(event.filterPatterns) ? event.filterPatterns : [],
  };
}

function httpApiEvent(value: unknown): HttpApiEvent {
  if (typeof value === 'string') {
    if (value === '*') return { method: '*', path: '*' };
    const [method, path] = value.split(/\s+/);
    return { method: String(method).toUpperCase(), path: String(path) };
  }
  const event = value as Raw;
  const authorizer = event.authorizer as Raw | string | undefined;
  const authorizerName = typeof authorizer === 'string' ? authorizer : (authorizer?.name as string | undefined);
  return { method: String(event.method ?? '*').toUpperCase(), path: String(event.path), authorizer: authorizerName };
}

function sqsEvent(value: unknown): SqsEvent {
  const event = (typeof value === 'object' && value !== null && 'arn' in value ? value : { arn: value }) as Raw;
  // Lambda deletes the messages a queue's filter drops; the local runtime would deliver them.
  if (event.filterPatterns !== undefined) throw new Error('sqs events: the local runtime does not emulate filterPatterns on queues');
  return {
    arn: event.arn,
    batchSize: Number(event.batchSize ?? 10),
    maximumBatchingWindow: Number(event.maximumBatchingWindow ?? 0),
    functionResponseType: event.functionResponseType as string | undefined,
  };
}

function scheduleEvents(value: unknown): ScheduleEvent[] {
  if (typeof value === 'string') return [{ expression: value, enabled: true }];
  const event = value as Raw;
  const rates = Array.isArray(event.rate) ? event.rate : [event.rate];
  return rates.map((expression) => ({ expression: String(expression), enabled: event.enabled !== false, input: event.input }));
}

const VARIABLE = /\$\{([^${}]+)\}/;

class VariableResolver {
  private readonly raw: Raw;
  private readonly context: ResolveContext;

  constructor(raw: Raw, context: ResolveContext) {
    this.raw = raw;
    this.context = context;
  }

  resolve(value: unknown, depth = 0): unknown {
    if (depth > 20) throw new Error('serverless.yml: variables nest too deeply (a cycle?)');
    if (typeof value === 'string') return this.resolveString(value, depth);
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, depth));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, depth)]));
    }
    return value;
  }

  private resolveString(text: string, depth: number): unknown {
    let current: unknown = text;
    // Innermost variables first, so that ${opt:stage, ${env:STAGE}} works.
    while (typeof current === 'string') {
      const match = VARIABLE.exec(current);
      if (match === null) return current;
      const value = this.resolve(this.lookup(match[1] as string), depth + 1);
      if (match[0] === current) {
        current = value;
      } else {
        current = current.replace(match[0], String(value));
      }
    }
    return current;
  }

  private lookup(expression: string): unknown {
    const [reference, ...fallbacks] = splitTopLevel(expression);
    const value = this.source((reference as string).trim());
    if (value !== undefined) return value;
    for (const fallback of fallbacks) {
      const literal = parseLiteral(fallback.trim());
      if (literal !== undefined) return literal;
      const resolved = this.source(fallback.trim());
      if (resolved !== undefined) return resolved;
    }
    throw new Error(`serverless.yml: cannot resolve \${${expression}}`);
  }

  private source(reference: string): unknown {
    const colon = reference.indexOf(':');
    if (colon === -1) return undefined;
    const kind = reference.slice(0, colon);
    const path = reference.slice(colon + 1);
    const env = this.context.env ?? process.env;
    switch (kind) {
      case 'self':
        return path.split('.').reduce<unknown>((node, key) => (node as Raw | undefined)?.[key], this.raw);
      case 'sls':
        if (path === 'stage') return this.context.stage ?? this.optionOrProvider('stage');
        if (path === 'instanceId') return 'local';
        return undefined;
      case 'opt':
        if (path === 'stage') return this.context.stage;
        if (path === 'region') return this.context.region;
        return undefined;
      case 'env':
        return env[path];
      case 'param': {
        // Stage parameters as the framework reads them: the stage's block, else `default`.
        const params = (this.raw.params ?? {}) as Record<string, Raw | undefined>;
        const stage = this.context.stage ?? 'dev';
        return this.context.params?.[path] ?? params[stage]?.[path] ?? params.default?.[path] ?? undefined;
      }
      case 'aws':
        if (path === 'region') return this.context.region ?? env.AWS_REGION ?? 'us-east-1';
        if (path === 'accountId') return '000000000000';
        return undefined;
      default:
        throw new Error(`serverless.yml: the local runtime does not support \${${reference}}`);
    }
  }

  private optionOrProvider(key: string): unknown {
    const provider = this.raw.provider as Raw | undefined;
    return provider?.[key];
  }
}

function splitTopLevel(expression: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let start = 0;
  for (let i = 0; i < expression.length; i++) {
    const c = expression[i];
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === ',') {
      parts.push(expression.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(expression.slice(start));
  return parts;
}

function parseLiteral(text: string): unknown {
  if (/^'.*'$/.test(text) || /^".*"$/.test(text)) return text.slice(1, -1);
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return undefined;
}
