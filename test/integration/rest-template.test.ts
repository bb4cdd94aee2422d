import { beforeAll, describe, expect, it } from 'vitest';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { packageTemplate, resourcesOfType, type CfnTemplate } from '../helpers/package-template.ts';

/**
 * The stage parameter apiType: rest puts the same functions and routes behind a REST API;
 * dataProtection: on (as stage prod has it) and an alarm topic are checked on the same
 * template, one packaging.
 */
let template: CfnTemplate;
const ALARM_TOPIC = 'arn:aws:sns:us-east-1:123456789012:netingest-alarms';
beforeAll(() => {
  template = packageTemplate('dev', { apiType: 'rest', dataProtection: 'on', alarmTopicArn: ALARM_TOPIC });
}, 300_000);

describe('a stage with an alarm topic', () => {
  it('has every alarm notify it', () => {
    const alarms = resourcesOfType(template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(7);
    for (const [id, alarm] of alarms) expect(alarm.Properties.AlarmActions, id).toEqual([ALARM_TOPIC]);
  });
});

describe('a stage with dataProtection: on', () => {
  it('keeps every data table through a remove or a replacement, and can restore it to a point in time; the live connections table is left as it is', () => {
    const tables = Object.fromEntries(resourcesOfType(template, 'AWS::DynamoDB::Table').map(([id, table]) => [id, table as typeof table & { DeletionPolicy?: string; UpdateReplacePolicy?: string }]));
    const protectedTables = Object.keys(tables).filter((id) => id !== 'LiveConnectionsTable');
    expect(protectedTables.sort()).toEqual(['DevicesTable', 'FlowsTable', 'IdempotencyTable', 'NotificationsTable', 'PacketCountsTable', 'PacketsTable']);
    for (const id of protectedTables) {
      expect(tables[id], id).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } } });
    }
    expect(tables.LiveConnectionsTable?.DeletionPolicy).toBeUndefined();
    expect(tables.LiveConnectionsTable?.Properties.DeletionProtectionEnabled).toBeUndefined();
  });
});

describe('a stage with apiType: rest', () => {
  it('has a REST API and no HTTP API', () => {
    expect(resourcesOfType(template, 'AWS::ApiGateway::RestApi')).toHaveLength(1);
    // The WebSocket API of the live channel is an API Gateway v2 API of its own.
    const v2 = resourcesOfType(template, 'AWS::ApiGatewayV2::Api').map(([, r]) => r.Properties.ProtocolType);
    expect(v2).not.toContain('HTTP');
  });

  it('serves every route of serverless.yml, with the same method', () => {
    const config = loadServiceConfig('serverless.yml', { stage: 'dev' });
    const resources = new Map(resourcesOfType(template, 'AWS::ApiGateway::Resource').map(([id, r]) => [id, r.Properties]));
    const pathOf = (id: string | undefined): string => {
      const resource = id === undefined ? undefined : resources.get(id);
      if (resource === undefined) return '';
      const parent = (resource.ParentId as { Ref?: string }).Ref;
      return `${pathOf(parent)}/${resource.PathPart as string}`;
    };
    const methods = new Set(
      resourcesOfType(template, 'AWS::ApiGateway::Method')
        .map(([, r]) => r.Properties)
        .filter((p) => p.HttpMethod !== 'OPTIONS')
        .map((p) => `${p.HttpMethod as string} ${pathOf((p.ResourceId as { Ref?: string }).Ref)}`),
    );
    const routes = config.functions.flatMap((fn) => fn.httpApi.map((r) => `${r.method} ${r.path}`));
    expect(routes.length).toBeGreaterThan(20);
    for (const route of routes) expect(methods, route).toContain(route);
  });

  it('authorizes keyed routes with the same function, as a REQUEST authorizer that caches nothing', () => {
    const [[, authorizer] = []] = resourcesOfType(template, 'AWS::ApiGateway::Authorizer');
    expect(authorizer?.Properties).toMatchObject({ Type: 'REQUEST', AuthorizerResultTtlInSeconds: 0 });
    const keyed = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties.AuthorizationType === 'CUSTOM');
    const open = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties.HttpMethod !== 'OPTIONS' && r.Properties.AuthorizationType !== 'CUSTOM');
    // health, capabilities, the contract and the dashboard's page and files are public.
    expect(open).toHaveLength(5);
    expect(keyed.length).toBeGreaterThan(15);
  });

  it('answers CORS preflights for the headers clients send', () => {
    const preflights = resourcesOfType(template, 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties.HttpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    const allowed = String(preflights[0]?.[1].Properties.Integration?.IntegrationResponses?.[0]?.ResponseParameters?.['method.response.header.Access-Control-Allow-Headers']);
    for (const header of ['X-Api-Key', 'Prefer', 'Idempotency-Key']) expect(allowed).toContain(header);
  });
});
