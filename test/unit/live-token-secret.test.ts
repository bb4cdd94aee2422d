import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { lambdaContext } from '../helpers/sqs-events.ts';

// Deployed, the live functions read their token secret from Secrets Manager. No emulator here
// serves Secrets Manager (the MiniStack suite reads the real one), so its JSON protocol is
// answered by a server of this test, which counts the reads and can fail them; it also takes
// the connections table's PutItem of a handshake let in.

const ARN = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:/netingest/test/live-token-secret-AbCdEf';
let server: Server;
let secret = 'first-secret';
let failing = false;
let reads = 0;
let connectionsPut = 0;
/** What the server was asked that it should not have been. */
const unexpected: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      if (target === 'DynamoDB_20120810.PutItem') {
        connectionsPut++;
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
        return;
      }
      reads++;
      if (target !== 'secretsmanager.GetSecretValue' || body !== JSON.stringify({ SecretId: ARN })) unexpected.push(`${target} ${body}`);
      if (failing) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'gone' }));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify({ ARN, Name: '/netingest/test/live-token-secret', SecretString: secret, VersionId: 'v' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  vi.stubEnv('AWS_ENDPOINT_URL_SECRETS_MANAGER', endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', endpoint);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'test');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test');
  vi.stubEnv('LIVE_TOKEN_SECRET', '');
  vi.stubEnv('LIVE_TOKEN_SECRET_ARN', ARN);
  vi.stubEnv('LIVE_CONNECTIONS_TABLE', 'unused');
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  // Each case starts as a new container: nothing read yet.
  vi.resetModules();
  secret = 'first-secret';
  failing = false;
  reads = 0;
  connectionsPut = 0;
});
afterEach(() => {
  expect(unexpected).toEqual([]);
});

describe('the live token secret, deployed', () => {
  it('is read once per container, again after 5 minutes, and the copy in hand serves while a read again fails, tried again a minute later', async () => {
    const { tokenSecret, SECRET_REFRESH_MS, SECRET_RECHECK_MS } = await import('../../functions/live/token-secret.ts');
    const start = Date.now();
    expect(await tokenSecret(start)).toBe('first-secret');
    expect(await tokenSecret(start + 1_000)).toBe('first-secret');
    expect(reads).toBe(1);

    failing = true;
    const failedAt = start + SECRET_REFRESH_MS + 1;
    expect(await tokenSecret(failedAt)).toBe('first-secret');
    expect(reads).toBe(2);
    // Not a read per request while reads fail: the copy serves until a minute has passed.
    failing = false;
    secret = 'rotated-secret';
    expect(await tokenSecret(failedAt + 1_000)).toBe('first-secret');
    expect(await tokenSecret(failedAt + SECRET_RECHECK_MS - 1, SECRET_RECHECK_MS)).toBe('first-secret');
    expect(reads).toBe(2);
    expect(await tokenSecret(failedAt + SECRET_RECHECK_MS)).toBe('rotated-secret');
    expect(reads).toBe(3);
  });

  it('fails the first read of a container when Secrets Manager does', async () => {
    const { tokenSecret } = await import('../../functions/live/token-secret.ts');
    failing = true;
    await expect(tokenSecret()).rejects.toThrow(/gone/);
  });

  it('$connect: no token is 401 without reading the secret; a token signed after a rotation is let in once the old copy is a minute old', async () => {
    const { handler } = await import('../../functions/live/socket.ts');
    const { issueToken } = await import('../../functions/live/token.ts');
    const connect = (token?: string) =>
      handler({ requestContext: { routeKey: '$connect', connectionId: 'c1', eventType: 'CONNECT' }, queryStringParameters: token === undefined ? {} : { token }, isBase64Encoded: false } as never, lambdaContext('liveSocket'));

    expect(await connect()).toMatchObject({ statusCode: 401 });
    expect(reads).toBe(0);

    // The copy read now is the old secret; a token signed under the new one is refused while it is fresh.
    expect(await connect(issueToken('not-the-secret').token)).toMatchObject({ statusCode: 403 });
    expect(reads).toBe(1);
    secret = 'rotated-secret';
    expect(await connect(issueToken('rotated-secret').token)).toMatchObject({ statusCode: 403 });
    expect(reads).toBe(1);

    // A minute later the same token makes the function read the secret again, and it is let in.
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    try {
      expect(await connect(issueToken('rotated-secret').token)).toMatchObject({ statusCode: 200 });
      expect(reads).toBe(2);
      expect(connectionsPut).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
