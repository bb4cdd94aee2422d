import { beforeAll, describe, expect, it } from 'vitest';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../helpers/package-template.ts';
import { TEMPLATE_WORKAROUNDS, type Template } from '../../infra/emulator/workarounds.ts';

let template: CfnTemplate;

beforeAll(() => {
  template = packageTemplate();
}, 180_000);

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

describe('a stage without dataProtection (dev)', () => {
  it('leaves its tables removable with the stack', () => {
    for (const [id, table] of resourcesOfType(template, 'AWS::DynamoDB::Table')) {
      expect((table as { DeletionPolicy?: string }).DeletionPolicy, id).toBeUndefined();
      expect(table.Properties.DeletionProtectionEnabled, id).toBeUndefined();
    }
  });
});

describe('the live channel in the packaged template', () => {
  it('declares a WebSocket API with $connect, $disconnect and $default on the socket function', () => {
    const apis = resourcesOfType(template, 'AWS::ApiGatewayV2::Api').filter(([, api]) => api.Properties.ProtocolType === 'WEBSOCKET');
    expect(apis.map(([id]) => id)).toEqual(['WebsocketsApi']);
    const routes = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').filter(([, r]) => JSON.stringify(r.Properties.ApiId) === '{"Ref":"WebsocketsApi"}');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(['$connect', '$default', '$disconnect']);
    const integrations = resourcesOfType(template, 'AWS::ApiGatewayV2::Integration').filter(([, i]) => JSON.stringify(i.Properties.ApiId) === '{"Ref":"WebsocketsApi"}');
    expect(integrations).toHaveLength(1);
    expect(JSON.stringify(integrations[0]?.[1].Properties.IntegrationUri)).toContain('LiveSocketLambdaFunction');
    expect(template.Resources.WebsocketsDeploymentStage?.Properties.StageName).toBe('dev');
  });

  it('serves GET /live behind the API-key authorizer', () => {
    const route = resourcesOfType(template, 'AWS::ApiGatewayV2::Route').find(([, r]) => r.Properties.RouteKey === 'GET /live');
    expect(route?.[1].Properties.AuthorizationType).toBe('CUSTOM');
  });

  it('keeps connections in a table of their own, with TTL and a stream', () => {
    const table = template.Resources.LiveConnectionsTable?.Properties;
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
      StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
    });
    expect(template.Outputs).toHaveProperty('LiveConnectionsTableName');
  });

  it("maps the devices table's stream, and new connections, to the broadcaster", () => {
    expect(template.Resources.DevicesTable?.Properties.StreamSpecification).toEqual({ StreamViewType: 'KEYS_ONLY' });
    const mappings = resourcesOfType(template, 'AWS::Lambda::EventSourceMapping').map(([, m]) => m.Properties);
    const onDevices = mappings.filter((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(getAtt('DevicesTable', 'StreamArn')));
    const devices = onDevices.find((m) => JSON.stringify(m.FunctionName) === JSON.stringify(getAtt('LiveBroadcasterLambdaFunction')));
    expect(devices).toMatchObject({ StartingPosition: 'LATEST', MaximumRetryAttempts: 2 });
    expect(devices?.FilterCriteria).toBeUndefined();
    // The same stream feeds the sightings folder, which sees packet sightings alone and from the start.
    const folder = onDevices.find((m) => JSON.stringify(m.FunctionName) === JSON.stringify(getAtt('DevicesFolderLambdaFunction')));
    expect(folder).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT","MODIFY"],"dynamodb":{"Keys":{"sk":{"S":[{"prefix":"pkts~"}]}}}}' }] },
    });
    expect(onDevices).toHaveLength(2);
    const connections = mappings.find((m) => JSON.stringify(m.EventSourceArn) === JSON.stringify(getAtt('LiveConnectionsTable', 'StreamArn')));
    expect(connections).toMatchObject({ FunctionName: getAtt('LiveBroadcasterLambdaFunction'), FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"],"dynamodb":{"Keys":{"pk":{"S":["connection"]}}}}' }] } });
  });

  /** The policies of a function's role, as JSON. */
  const roleOf = (fn: string) => {
    const ref = template.Resources[`${fn}LambdaFunction`]?.Properties.Role as { 'Fn::GetAtt': [string, string] };
    return JSON.stringify(template.Resources[ref['Fn::GetAtt'][0]]?.Properties.Policies);
  };

  it('lets only the broadcaster post to connections, on its own API and stage', () => {
    for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      const fn = id.replace(/LambdaFunction$/, '');
      expect(roleOf(fn).includes('execute-api:ManageConnections'), fn).toBe(fn === 'LiveBroadcaster');
    }
    expect(roleOf('LiveBroadcaster')).toContain('"Ref":"WebsocketsApi"},"/dev/POST/@connections/*"');
  });

  it('signs tokens with a secret CloudFormation generates, which the functions that need it read and nothing holds in its configuration', () => {
    expect(template.Resources.LiveTokenSecret).toMatchObject({ Type: 'AWS::SecretsManager::Secret', Properties: { GenerateSecretString: { PasswordLength: 64 } } });
    const variablesOf = (id: string) => (template.Resources[id]?.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
    for (const id of ['LiveLambdaFunction', 'LiveSocketLambdaFunction']) {
      expect(variablesOf(id).LIVE_TOKEN_SECRET_ARN, id).toEqual({ Ref: 'LiveTokenSecret' });
      expect(roleOf(id.replace(/LambdaFunction$/, ''))).toContain(JSON.stringify({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [{ Ref: 'LiveTokenSecret' }] }));
    }
    expect(variablesOf('LiveBroadcasterLambdaFunction').LIVE_TOKEN_SECRET_ARN).toBeUndefined();
    // No function's settings hold the secret's value, nor a reference CloudFormation resolves into one.
    for (const [id] of resourcesOfType(template, 'AWS::Lambda::Function')) {
      expect(JSON.stringify(variablesOf(id)), id).not.toContain('resolve:secretsmanager');
      expect(variablesOf(id).LIVE_TOKEN_SECRET, id).toBeUndefined();
      if (!['LiveLambdaFunction', 'LiveSocketLambdaFunction'].includes(id)) expect(roleOf(id.replace(/LambdaFunction$/, '')), id).not.toContain('secretsmanager');
    }
  });

  it('leaves the simulated network out of a stage that does not turn it on (param simulator)', () => {
    const functions = resourcesOfType(template, 'AWS::Lambda::Function').map(([id]) => id);
    expect(functions).toContain('LiveBroadcasterLambdaFunction');
    expect(functions.filter((id) => id.startsWith('Simulator'))).toEqual([]);
    expect(resourcesOfType(template, 'AWS::Events::Rule')).toEqual([]);
  });

  it("deploys on MiniStack without the WebSocket API's deployment, and nothing left names it", () => {
    const patched = structuredClone(template) as CfnTemplate & Template;
    const workaround = TEMPLATE_WORKAROUNDS.find((w) => w.name === 'websocket-deployment-resource');
    expect(workaround?.apply(patched)).toBe(true);
    expect(resourcesOfType(patched, 'AWS::ApiGatewayV2::Deployment')).toEqual([]);
    // Only the deployment went; the stage stays, serving the API's routes.
    const gone = Object.keys(template.Resources).filter((id) => !(id in patched.Resources));
    expect(gone).toHaveLength(1);
    expect(template.Resources[gone[0] as string]?.Type).toBe('AWS::ApiGatewayV2::Deployment');
    expect(patched.Resources.WebsocketsDeploymentStage?.Properties).toEqual({ ...template.Resources.WebsocketsDeploymentStage?.Properties, DeploymentId: undefined });
    const text = JSON.stringify(patched);
    expect(text).not.toContain(gone[0]);
    // Applied again, it has nothing left to change.
    expect(workaround?.apply(patched)).toBe(false);
  });
});
