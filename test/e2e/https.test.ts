import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../infra/local/runtime.ts';
import type { CfnTemplate } from '../helpers/package-template.ts';
import { TEST_API_KEY, READ_ONLY_KEY, INGEST_ONLY_KEY, eventually, getJson, startTestRuntime } from '../helpers/runtime.ts';
import { createTestPki, curlCall, pythonJsonDumps, requestsCall, send, type TestPki, type WireRequest } from '../helpers/wire.ts';

// HTTPS beside HTTP in the local runtime, and mutual TLS: certificates that chain to
// CLIENT_CA authenticate without a key, their subject CN mapped to scopes by
// CLIENT_CERT_SCOPES; the certificate reaches the authorizer where API Gateway puts it.

const CERT_SCOPES = 'router-1=ingest,dashboard-reader=read';
const API_KEYS = `${TEST_API_KEY},${READ_ONLY_KEY}=read,${INGEST_ONLY_KEY}=ingest`;
let pki: TestPki;
let foreign: TestPki;
let certDir: string;
let runtime: LocalRuntime;
let serverCert: Buffer;
type Identity = { cert: Buffer; key: Buffer };
let router: Identity;
let reader: Identity;
let stranger: Identity;
let impostor: Identity;

beforeAll(async () => {
  pki = createTestPki('netingest test CA');
  foreign = createTestPki('someone else CA');
  router = pki.client('router-1');
  reader = pki.client('dashboard-reader');
  stranger = pki.client('stranger');
  // Same CN as a trusted client, signed by a CA the runtime does not trust.
  impostor = foreign.client('router-1');
  certDir = mkdtempSync(join(tmpdir(), 'netingest-tls-'));
  runtime = await startTestRuntime({
    env: { API_KEYS, CLIENT_CERT_SCOPES: CERT_SCOPES },
    https: { port: 0, certDir, clientCa: pki.caFile },
  });
  serverCert = readFileSync(runtime.certFile as string);
}, 120_000);
afterAll(async () => runtime?.stop());

const packet = readFileSync('events/packets/udp-ipv4.json', 'utf8');
const tlsAs = (who?: Identity): WireRequest['tls'] => ({ ca: serverCert, ...(who === undefined ? {} : { cert: who.cert, key: who.key }) });

async function call(method: 'GET' | 'POST', path: string, who?: Identity, headers: [string, string][] = []) {
  const response = await send({
    method,
    url: `${runtime.httpsUrl}${path}`,
    headers: [...headers, ...(method === 'POST' ? ([['Content-Type', 'application/json']] as [string, string][]) : [])],
    body: method === 'POST' ? packet : undefined,
    tls: tlsAs(who),
    agent: false,
  });
  return { status: response.status, body: response.body === '' ? undefined : JSON.parse(response.body) };
}

describe('the HTTPS listener', () => {
  it('serves the routes with a self-signed certificate for localhost and 127.0.0.1, kept in the data dir', async () => {
    expect(runtime.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(runtime.certFile).toBe(join(certDir, 'localhost-cert.pem'));
    const x509 = new X509Certificate(serverCert);
    expect(x509.subject).toBe('CN=localhost');
    expect(x509.subjectAltName).toContain('DNS:localhost');
    expect(x509.subjectAltName).toContain('IP Address:127.0.0.1');
    expect((statSync(join(certDir, 'localhost-key.pem')).mode & 0o777).toString(8)).toBe('600');
    // Verified by name and by address.
    expect((await call('GET', '/health')).body).toEqual({ status: 'ok' });
    const byAddress = await send({ method: 'GET', url: `${runtime.httpsUrl}/health`, headers: [], tls: { ca: serverCert }, agent: false });
    expect(byAddress.status).toBe(200);
  });

  it('reuses the certificate on the next start', async () => {
    const before = statSync(runtime.certFile as string).mtimeMs;
    // Runtimes in one process share its environment: this one sets no certificate scopes.
    const again = await startTestRuntime({ env: { API_KEYS, CLIENT_CERT_SCOPES: '' }, https: { port: 0, certDir } });
    try {
      expect(readFileSync(again.certFile as string)).toEqual(serverCert);
      expect(statSync(again.certFile as string).mtimeMs).toBe(before);
    } finally {
      await again.stop();
    }
  });

  it('takes API keys as over HTTP, Basic included', async () => {
    const basic = `Basic ${Buffer.from(`publisher:${TEST_API_KEY}`).toString('base64')}`;
    expect((await call('POST', '/packets', undefined, [['Authorization', basic]])).status).toBe(202);
    expect((await call('POST', '/packets', undefined, [['x-api-key', TEST_API_KEY]])).status).toBe(202);
    expect((await call('POST', '/packets')).status).toBe(401);
  });
});

describe('mutual TLS', () => {
  it('authenticates a certificate that chains to CLIENT_CA, without a key, within its CN scopes', async () => {
    expect(await call('POST', '/packets', router)).toEqual({ status: 202, body: { accepted: 1 } });
    expect((await call('GET', '/packets/tables', reader)).status).toBe(200);
  });

  it('answers 403 to a known CN without the scope', async () => {
    const noRead = await call('GET', '/packets/tables', router);
    expect(noRead.status).toBe(403);
    expect(noRead.body.error.message).toContain('CN=router-1');
    expect((await call('POST', '/packets', reader)).status).toBe(403);
  });

  it('answers 401 to a trusted certificate whose CN is not mapped', async () => {
    const response = await call('POST', '/packets', stranger);
    expect(response.status).toBe(401);
    expect(response.body.error.message).toContain('CN=stranger');
  });

  it('refuses a certificate from an unknown CA, whatever else the request carries', async () => {
    for (const headers of [[], [['x-api-key', TEST_API_KEY]]] as [string, string][][]) {
      const response = await call('POST', '/packets', impostor, headers);
      expect(response.status).toBe(401);
      expect(response.body.error.code).toBe('unauthorized');
    }
    expect((await call('GET', '/health', impostor)).status).toBe(401);
  });

  it('lets an API key decide when a request carries both', async () => {
    expect((await call('GET', '/packets/tables', router, [['x-api-key', READ_ONLY_KEY]])).status).toBe(200);
    expect((await call('POST', '/packets', router, [['x-api-key', 'unknown']])).status).toBe(401);
  });

  it('carries the https-notif publisher: discovery, then 204 for a notification, with only its certificate', async () => {
    const tls = tlsAs(router);
    const capabilities = await requestsCall('GET', `${runtime.httpsUrl}/capabilities`, { headers: [['Accept', 'application/json, application/xml, application/cbor']], tls });
    expect(capabilities.status).toBe(200);
    const notification = JSON.parse(readFileSync('events/notifications/seed-interfaces.json', 'utf8'));
    const sent = await requestsCall('POST', `${runtime.httpsUrl}/relay-notification`, { body: pythonJsonDumps(notification), headers: [['Content-Type', 'application/json']], tls });
    expect(sent.status).toBe(204);
    // curl --cert/--key, XML this time.
    const xml = await curlCall('POST', `${runtime.httpsUrl}/relay-notification`, {
      headers: [['Content-Type', 'application/xml']],
      body: readFileSync('events/notifications/seed-interfaces.xml'),
      tls,
    });
    expect(xml.status).toBe(204);
    await eventually(async () => ((await getJson(runtime.url, '/notifications?limit=5')).body.items.length >= 2 ? true : undefined));
  });
});

describe('the client certificate in the event, where API Gateway puts it', () => {
  let fixture: LocalRuntime;
  beforeAll(async () => {
    fixture = await startLocalRuntime({
      configFile: 'test/fixtures/runtime-service.yml',
      endpoints: inject('endpoints'),
      port: 0,
      stage: `tls${Date.now() % 100000}`,
      sqsEventSources: false,
      schedules: false,
      env: { CLIENT_CERT_SCOPES: CERT_SCOPES },
      https: { port: 0, certDir, clientCa: pki.caFile },
      log: () => {},
    });
  });
  afterAll(async () => fixture?.stop());

  it('is requestContext.authentication.clientCert with the PEM, DNs, serial and validity', async () => {
    const response = await send({ method: 'POST', url: `${fixture.httpsUrl}/echo/x`, headers: [['Content-Type', 'application/json']], body: '{}', tls: tlsAs(router), agent: false });
    expect(response.status).toBe(201);
    const { event } = JSON.parse(response.body);
    const x509 = new X509Certificate(router.cert);
    expect(event.requestContext.authentication).toEqual({
      clientCert: {
        clientCertPem: x509.toString(),
        subjectDN: 'O=netingest tests,CN=router-1',
        issuerDN: 'CN=netingest test CA',
        serialNumber: x509.serialNumber.toLowerCase().match(/../g)?.join(':'),
        validity: { notBefore: x509.validFrom, notAfter: x509.validTo },
      },
    });
    expect(event.requestContext.authentication.clientCert.validity.notAfter).toMatch(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} GMT$/);
  });

  it('is absent without a certificate, and over HTTP', async () => {
    const https = await send({ method: 'POST', url: `${fixture.httpsUrl}/echo/x`, headers: [], body: '{}', tls: { ca: serverCert }, agent: false });
    expect(JSON.parse(https.body).event.requestContext.authentication).toBeUndefined();
    const http = await send({ method: 'POST', url: `${fixture.url}/echo/x`, headers: [], body: '{}', agent: false });
    expect(JSON.parse(http.body).event.requestContext.authentication).toBeUndefined();
  });
});

describe('start-up checks', () => {
  const start = (https: { clientCa?: string } | undefined, env: Record<string, string> = {}) =>
    startLocalRuntime({ configFile: 'test/fixtures/runtime-service.yml', endpoints: { all: 'http://127.0.0.1:9' }, port: 0, env, https: https === undefined ? undefined : { port: 0, certDir, ...https }, log: () => {} });

  it('refuses CLIENT_CA without CLIENT_CERT_SCOPES, and the reverse', async () => {
    await expect(start({ clientCa: pki.caFile }, { CLIENT_CERT_SCOPES: '' })).rejects.toThrow(/CLIENT_CERT_SCOPES is not/);
    await expect(start({}, { CLIENT_CERT_SCOPES: CERT_SCOPES })).rejects.toThrow(/CLIENT_CA is not/);
  });

  it('refuses a CA bundle without certificates and a malformed CN list, naming them', async () => {
    const empty = join(certDir, 'empty.pem');
    writeFileSync(empty, 'not a certificate\n');
    await expect(start({ clientCa: empty }, { CLIENT_CERT_SCOPES: CERT_SCOPES })).rejects.toThrow(`CLIENT_CA ${empty} holds no PEM certificate`);
    await expect(start({ clientCa: pki.caFile }, { CLIENT_CERT_SCOPES: 'router-1=write' })).rejects.toThrow(/CLIENT_CERT_SCOPES entry 1 of 1 .*unknown scope "write"/);
  });
});

describe('the deployed side: an API Gateway custom domain with mutual TLS, per stage', () => {
  it('is declared but off by default (no domain name), so packaging needs nothing', () => {
    const config = loadServiceConfig('serverless.yml', { stage: 'dev' });
    expect(config.resources.MutualTlsDomainName).toMatchObject({ Type: 'AWS::ApiGatewayV2::DomainName', Condition: 'MutualTlsDomain', Properties: { DomainName: '' } });
    const authorizer = config.functions.find((f) => f.name === 'authorizer');
    expect(authorizer?.environment.CLIENT_CERTS_PARAMETER).toBe('/netingest/dev/client-certs');
  });

  it('is switched on by stage parameters: domain, ACM certificate, S3 truststore', () => {
    const dir = mkdtempSync(join(tmpdir(), 'netingest-package-'));
    const params = [
      '--param=mtlsDomainName=telemetry.example.com',
      '--param=mtlsCertificateArn=arn:aws:acm:us-east-1:123456789012:certificate/abc',
      '--param=mtlsTruststoreUri=s3://example-truststore/truststore.pem',
    ];
    const result = spawnSync(process.execPath, ['infra/package.ts', '--package', dir, ...params], { encoding: 'utf8', env: { ...process.env, STAGE: 'dev' } });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    const template = JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
    const conditions = (template as unknown as { Conditions: Record<string, unknown> }).Conditions;
    expect(conditions.MutualTlsDomain).toEqual({ 'Fn::Not': [{ 'Fn::Equals': ['telemetry.example.com', ''] }] });
    expect(template.Resources.MutualTlsDomainName).toEqual({
      Type: 'AWS::ApiGatewayV2::DomainName',
      Condition: 'MutualTlsDomain',
      Properties: {
        DomainName: 'telemetry.example.com',
        DomainNameConfigurations: [{ CertificateArn: 'arn:aws:acm:us-east-1:123456789012:certificate/abc', EndpointType: 'REGIONAL', SecurityPolicy: 'TLS_1_2' }],
        MutualTlsAuthentication: { TruststoreUri: 's3://example-truststore/truststore.pem', TruststoreVersion: { 'Fn::If': ['TruststoreVersioned', '', { Ref: 'AWS::NoValue' }] } },
      },
    });
    expect(template.Resources.MutualTlsApiMapping?.Properties).toEqual({ ApiId: { Ref: 'HttpApi' }, DomainName: { Ref: 'MutualTlsDomainName' }, Stage: { Ref: 'HttpApiStage' } });
    const policy = JSON.stringify(template.Resources.AuthorizerIamRoleLambdaExecution?.Properties);
    expect(policy).toContain(':parameter/netingest/dev/client-certs');
  }, 180_000);
});
