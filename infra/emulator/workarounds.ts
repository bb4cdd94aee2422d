// MiniStack: every workaround for a defect of the pinned release (infra/emulator/ministack.ts,
// MINISTACK_VERSION), and every capability of this stack it cannot run. Nothing else in
// the project knows about its defects: the stack, the functions and the tests are the
// ones deployed to AWS. Each workaround names its defect, checks whether the running
// MiniStack still has it (and says so when it does not), and says how to drop it.
import { randomUUID } from 'node:crypto';
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
} from '@aws-sdk/client-cloudformation';
import { EMULATOR_DEFAULTS, executeApiUrl } from './ministack.ts';
import { stackName } from '../stack.ts';

/** Capabilities the end-to-end suite checks that an emulator may lack. */
export type Capability = 'cors' | 'schedule' | 'live';

/**
 * What the pinned MiniStack cannot run of this stack: the end-to-end suite skips these on
 * `--target emulator` with the reason given here (the README says the same). 1.5.33 runs
 * the EventBridge schedule (rate(1 minute) rules fire their Lambda targets) and, with the
 * workarounds below, CORS preflights and the live channel's WebSocket API.
 */
export const EMULATOR_GAPS: Partial<Record<Capability, string>> = {};

export interface DeployedStack {
  endpoint: string;
  stage: string;
  region: string;
  outputs: Record<string, string>;
}

export interface Workaround {
  name: string;
  /** The defect, as seen from this stack. */
  defect: string;
  /** Whether the defect concerns this stack at all (say, an HTTP API's, on a REST API stage). */
  applies?(stack: DeployedStack): boolean;
  /** Whether the running MiniStack still shows the defect for this stack. */
  needed(stack: DeployedStack): Promise<boolean>;
  apply(stack: DeployedStack): Promise<void>;
}

/**
 * A request to MiniStack's own API outside the SDK. It does not verify signatures (AUTH
 * is off, its default), but takes account and region from the credential scope of the
 * Authorization header, so the request carries one for the deployment's account and region.
 */
async function miniStack(stack: DeployedStack, method: string, path: string, service: string, body?: unknown): Promise<any> {
  const scope = `${EMULATOR_DEFAULTS.accessKeyId}/20260101/${stack.region}/${service}/aws4_request`;
  const response = await fetch(`${stack.endpoint}${path}`, {
    method,
    headers: {
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=host, Signature=unsigned`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** MiniStack's CloudFormation, with the emulator's credentials. */
const cloudFormation = (endpoint: string, region: string) =>
  new CloudFormationClient({ endpoint, region, credentials: { accessKeyId: EMULATOR_DEFAULTS.accessKeyId, secretAccessKey: EMULATOR_DEFAULTS.secretAccessKey } });

const lowerFirst = (key: string) => key.charAt(0).toLowerCase() + key.slice(1);

export const WORKAROUNDS: Workaround[] = [
  {
    // Defect (MiniStack 1.5.33): its CloudFormation provisioner for AWS::ApiGatewayV2::Api
    // stores the template's CorsConfiguration as written, with CloudFormation's PascalCase
    // keys (AllowOrigins, AllowMethods, ...), while the HTTP API data plane and GetApi read
    // the API's camelCase keys (allowOrigins, ...). So an HTTP API deployed from a template
    // answers every CORS preflight 403 "CORS origin denied" and sends no CORS headers,
    // though UpdateApi or CreateApi through the API work.
    // Workaround: after the deploy, put the template's CorsConfiguration again through
    // UpdateApi (PATCH /v2/apis/{apiId}), which stores it with the keys the data plane reads.
    // Drop it when `needed` finds the API's configuration stored in camelCase after a deploy
    // (npm run test:deploy prints "no longer needed"): delete this entry.
    name: 'http-api-cors-from-template',
    defect: 'CloudFormation stores an HTTP API\'s CorsConfiguration with PascalCase keys that the data plane does not read: preflights are answered 403',
    applies: (stack) => stack.outputs.HttpApiId !== undefined,
    async needed(stack) {
      const api = await miniStack(stack, 'GET', `/v2/apis/${stack.outputs.HttpApiId}`, 'apigateway');
      const stored = (api?.corsConfiguration ?? {}) as Record<string, unknown>;
      return Object.keys(stored).some((key) => /^[A-Z]/.test(key));
    },
    async apply(stack) {
      const client = cloudFormation(stack.endpoint, stack.region);
      let template: { Resources?: Record<string, { Type?: string; Properties?: { ProtocolType?: string; CorsConfiguration?: Record<string, unknown> } }> };
      try {
        const { TemplateBody } = await client.send(new GetTemplateCommand({ StackName: stackName(stack.stage) }));
        template = JSON.parse(TemplateBody ?? '{}');
      } finally {
        client.destroy();
      }
      const api = Object.values(template.Resources ?? {}).find((r) => r.Type === 'AWS::ApiGatewayV2::Api' && r.Properties?.ProtocolType === 'HTTP');
      const cors = api?.Properties?.CorsConfiguration;
      if (cors === undefined) return;
      const corsConfiguration = Object.fromEntries(Object.entries(cors).map(([key, value]) => [lowerFirst(key), value]));
      await miniStack(stack, 'PATCH', `/v2/apis/${stack.outputs.HttpApiId}`, 'apigateway', { corsConfiguration });
    },
  },
  {
    // Defect (MiniStack 1.5.33): it serves a WebSocket API only on its own address, by path
    // (/_aws/execute-api/<api>/<stage>), not on the API's host on AWS,
    // <api>.execute-api.<region>.amazonaws.com, which the deployed functions are given: the
    // broadcaster (a Lambda on MiniStack cannot resolve that host) never reaches @connections,
    // and GET /live hands browsers a URL that leads nowhere.
    // Workaround: point both at the same API and stage on MiniStack's path-style URL.
    // `needed` tells whether the functions still name AWS's host; it cannot tell whether
    // MiniStack has begun to serve it. Drop this when MiniStack's release notes say it serves
    // execute-api hosts to its Lambdas and clients, and a run without it passes.
    name: 'websocket-api-urls',
    defect: "the WebSocket API is served only on MiniStack's own address: GET /live's URL leads nowhere and the broadcaster cannot reach @connections",
    applies: (stack) => stack.outputs.ServiceEndpointWebsocket !== undefined,
    async needed(stack) {
      for (const { fn, variable } of WEBSOCKET_URLS) {
        const url = (await environmentOf(stack, fn))[variable];
        if (url === undefined || !URL.canParse(url)) throw new Error(`${fn} has no ${variable} to point at MiniStack (${url})`);
        if (new URL(url).hostname.endsWith('.amazonaws.com')) return true;
      }
      return false;
    },
    async apply(stack) {
      for (const { fn, variable, scheme } of WEBSOCKET_URLS) {
        const variables = await environmentOf(stack, fn);
        const aws = /^[a-z]+:\/\/([^./]+)\.execute-api\.[^/]+\/([^/?#]+)/.exec(variables[variable] ?? '');
        if (!aws) throw new Error(`unexpected ${variable} ${variables[variable]}`);
        const onMiniStack = new URL(`${executeApiUrl(stack.endpoint, aws[1] as string)}/${aws[2]}`);
        // ws: or http:, and wss: or https: on a MiniStack that serves TLS.
        onMiniStack.protocol = onMiniStack.protocol === 'https:' ? scheme.replace(':', 's:') : scheme;
        await miniStack(stack, 'PUT', `/2015-03-31/functions/${functionName(stack, fn)}/configuration`, 'lambda', {
          Environment: { Variables: { ...variables, [variable]: onMiniStack.href } },
        });
      }
    },
  },
];

/** The functions given the WebSocket API's URLs: the one browsers open, and @connections. */
const WEBSOCKET_URLS = [
  { fn: 'live', variable: 'LIVE_WEBSOCKET_URL', scheme: 'ws:' },
  { fn: 'liveBroadcaster', variable: 'LIVE_CONNECTIONS_ENDPOINT', scheme: 'http:' },
];

/** A function's deployed name, as osls names functions: <service>-<stage>-<function>. */
const functionName = (stack: DeployedStack, fn: string) => `${stackName(stack.stage)}-${fn}`;

async function environmentOf(stack: DeployedStack, fn: string): Promise<Record<string, string>> {
  const configuration = await miniStack(stack, 'GET', `/2015-03-31/functions/${functionName(stack, fn)}/configuration`, 'lambda');
  return (configuration?.Environment?.Variables ?? {}) as Record<string, string>;
}

/** Applies each workaround the deployed stack still needs; returns one line per workaround. */
export async function applyWorkarounds(stack: DeployedStack): Promise<string[]> {
  const lines: string[] = [];
  for (const workaround of WORKAROUNDS) {
    if (workaround.applies?.(stack) === false) continue;
    if (await workaround.needed(stack)) {
      await workaround.apply(stack);
      if (await workaround.needed(stack)) throw new Error(`workaround ${workaround.name} did not take effect`);
      lines.push(`applied ${workaround.name}: ${workaround.defect}`);
    } else {
      lines.push(`no longer needed: ${workaround.name} (${workaround.defect}); remove it from infra/emulator/workarounds.ts`);
    }
  }
  return lines;
}

/** A CloudFormation template, as osls packages it. */
export interface Template {
  Resources: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }>;
}

/** A change to the packaged template before it is deployed, for a resource MiniStack cannot create. */
export interface TemplateWorkaround {
  name: string;
  defect: string;
  /** Whether the defect concerns this template at all (say, a stage without the live channel). */
  applies(template: Template): boolean;
  /** Whether the running MiniStack still shows the defect. */
  needed(endpoint: string, region: string): Promise<boolean>;
  /** Changes the template in place; false when it had nothing to change. */
  apply(template: Template): boolean;
}

const DEPLOYMENT = 'AWS::ApiGatewayV2::Deployment';

export const TEMPLATE_WORKAROUNDS: TemplateWorkaround[] = [
  {
    // Defect (MiniStack 1.5.33): its CloudFormation has no provisioner for
    // AWS::ApiGatewayV2::Deployment and refuses any template naming one ("Template format
    // error: Unrecognized resource types"); osls puts one beside a WebSocket API's stage. Its stages need no deployment:
    // a stage serves the API's routes as they are.
    // Workaround: deploy the template without the deployment (and the stage's DeploymentId).
    // Drop it when `needed` finds that MiniStack creates one (npm run test:deploy prints
    // "no longer needed"): delete this entry.
    name: 'websocket-deployment-resource',
    defect: `CloudFormation cannot create ${DEPLOYMENT}, which the WebSocket API's stage names`,
    applies: (template) => Object.values(template.Resources).some((resource) => resource.Type === DEPLOYMENT),
    needed: (endpoint, region) => refusesResource(endpoint, region, DEPLOYMENT),
    apply(template) {
      const removed = new Set(Object.entries(template.Resources).flatMap(([id, resource]) => (resource.Type === DEPLOYMENT ? [id] : [])));
      for (const id of removed) delete template.Resources[id];
      for (const resource of Object.values(template.Resources)) {
        const deploymentId = resource.Properties?.DeploymentId as { Ref?: string } | undefined;
        if (deploymentId?.Ref !== undefined && removed.has(deploymentId.Ref)) delete resource.Properties?.DeploymentId;
        if (typeof resource.DependsOn === 'string' && removed.has(resource.DependsOn)) delete resource.DependsOn;
        if (Array.isArray(resource.DependsOn)) resource.DependsOn = resource.DependsOn.filter((id) => !removed.has(id));
      }
      return removed.size > 0;
    },
  },
];

/**
 * Whether MiniStack's CloudFormation refuses a stack of a WebSocket API (one route) with one
 * resource of this type, or fails it on that resource: a probe stack of its own, deleted
 * after. A failure for another reason is an error, not an answer.
 */
async function refusesResource(endpoint: string, region: string, type: string): Promise<boolean> {
  const client = cloudFormation(endpoint, region);
  const StackName = `netingest-probe-${randomUUID().slice(0, 8)}`;
  const TemplateBody = JSON.stringify({
    Resources: {
      Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { Name: StackName, ProtocolType: 'WEBSOCKET', RouteSelectionExpression: '$request.body.action' } },
      Route: { Type: 'AWS::ApiGatewayV2::Route', Properties: { ApiId: { Ref: 'Api' }, RouteKey: '$default' } },
      Probe: { Type: type, DependsOn: ['Route'], Properties: { ApiId: { Ref: 'Api' } } },
    },
  });
  try {
    try {
      await client.send(new CreateStackCommand({ StackName, TemplateBody }));
    } catch (error) {
      // Refused up front (1.5.33: "Template format error: Unrecognized resource types").
      if ((error as Error).message.includes(type)) return true;
      throw error;
    }
    for (let attempt = 0; attempt < 60; attempt++) {
      const { Stacks } = await client.send(new DescribeStacksCommand({ StackName }));
      const { StackStatus: status = '', StackStatusReason: reason = '' } = Stacks?.[0] ?? {};
      if (status === 'CREATE_COMPLETE') return false;
      if (!status.endsWith('_IN_PROGRESS')) {
        if (reason.includes(type)) return true;
        throw new Error(`probe stack ${StackName} ended ${status}: ${reason}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error(`probe stack ${StackName} did not settle in 30 s`);
  } finally {
    await client.send(new DeleteStackCommand({ StackName })).catch(() => undefined);
    client.destroy();
  }
}

/** Applies each template workaround the running MiniStack still needs; returns one line per workaround. */
export async function applyTemplateWorkarounds(template: Template, endpoint: string, region: string): Promise<string[]> {
  const lines: string[] = [];
  for (const workaround of TEMPLATE_WORKAROUNDS) {
    if (!workaround.applies(template)) continue;
    if (!(await workaround.needed(endpoint, region))) {
      lines.push(`no longer needed: ${workaround.name} (${workaround.defect}); remove it from infra/emulator/workarounds.ts`);
    } else if (workaround.apply(template)) {
      lines.push(`applied ${workaround.name}: ${workaround.defect}`);
    }
  }
  return lines;
}
