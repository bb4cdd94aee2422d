import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseKeyList } from '../../functions/auth/api-keys.ts';
import { PROJECT_ROOT, type LocalRuntime } from '../../infra/local/runtime.ts';
import type { CfnTemplate } from '../helpers/package-template.ts';
import { getJson, INGEST_ONLY_KEY, postJson, startTestRuntime } from '../helpers/runtime.ts';

function reaches(host: string, port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = connect({ host, port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once('error', () => resolveProbe(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolveProbe(false);
    });
  });
}

/**
 * Addresses of this machine other than 127.0.0.1 through which a server listening on
 * every interface can be reached (checked against one that does): the machine's own
 * IPv4 addresses, and 127.0.0.2, which Linux routes to such a server but not to one
 * bound to 127.0.0.1.
 */
async function otherAddresses(): Promise<string[]> {
  const external = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
  const control = createServer((socket) => socket.destroy());
  await new Promise<void>((ready) => control.listen(0, '0.0.0.0', ready));
  const { port } = control.address() as AddressInfo;
  try {
    const candidates = [...external, '127.0.0.2'];
    const usable = await Promise.all(candidates.map(async (host) => ((await reaches(host, port)) ? host : undefined)));
    return usable.filter((host) => host !== undefined);
  } finally {
    control.close();
  }
}

describe('the emulators', () => {
  it('listen on 127.0.0.1 only: no other address of this machine reaches DynamoDB Local or fauxqs', async () => {
    const { dynamodb, sqs } = inject('endpoints');
    const ports = [Number(new URL(dynamodb).port), Number(new URL(sqs).port)];
    const others = await otherAddresses();
    expect(others.length, 'no address besides 127.0.0.1 reaches a server listening on every interface').toBeGreaterThan(0);
    for (const port of ports) {
      expect(await reaches('127.0.0.1', port)).toBe(true);
      for (const host of others) expect(await reaches(host, port), `${host}:${port}`).toBe(false);
    }
  });
});

describe('environment overrides', () => {
  it('a variable set in the environment wins over the value in serverless.yml, and is put back on stop', async () => {
    const queueUrlBefore = process.env.PACKETS_QUEUE_URL;
    process.env.NOTIFICATIONS_MAX_BODY_BYTES = '200';
    process.env.SIM_DEVICES = '5';
    let runtime: LocalRuntime | undefined;
    try {
      runtime = await startTestRuntime({ params: { simulator: 'on' } });
      const notification = { 'ietf-https-notif:notification': { eventTime: '2025-01-01T00:00:00Z', note: 'x'.repeat(300) } };
      const response = await postJson(runtime.url, '/relay-notification', notification);
      expect(response.status).toBe(413);
      expect(response.body.error.code).toBe('payload_too_large');
      const simulator = runtime.config.functions.find((fn) => fn.name === 'simulator');
      expect(simulator?.environment.SIM_DEVICES).toBe('5');
      expect(process.env.PACKETS_QUEUE_URL).toBe(runtime.resources.queues.get('PacketsQueue')?.url);
    } finally {
      await runtime?.stop();
      delete process.env.NOTIFICATIONS_MAX_BODY_BYTES;
      delete process.env.SIM_DEVICES;
    }
    // What the runtime set for its functions is gone: a later runtime resolves ${env:...} from the caller's values.
    expect(process.env.PACKETS_QUEUE_URL).toBe(queueUrlBefore);
  });

  it('`npm run package` builds them into the functions and leaves nothing in the temp dir', { timeout: 120_000 }, () => {
    const temp = mkdtempSync(join(tmpdir(), 'netingest-hardening-tmp-'));
    const out = mkdtempSync(join(tmpdir(), 'netingest-hardening-out-'));
    try {
      // --param turns the simulator on in a stage (dev) that leaves it out by default.
      const result = spawnSync(process.execPath, ['infra/package.ts', '--package', out, '--param', 'simulator=on'], {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
        env: { ...process.env, TMPDIR: temp, SIM_DEVICES: '7', PACKETS_MAX_BODY_BYTES: '1234' },
      });
      expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(readdirSync(temp)).toEqual([]);
      const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
      const variables = (logicalId: string) => template.Resources[logicalId]?.Properties.Environment.Variables as Record<string, string>;
      expect(variables('SimulatorLambdaFunction').SIM_DEVICES).toBe('7');
      expect(variables('PacketsIngestLambdaFunction').PACKETS_MAX_BODY_BYTES).toBe('1234');
      expect(variables('NotificationsIngestLambdaFunction').NOTIFICATIONS_MAX_BODY_BYTES).toBe('1000000');
    } finally {
      rmSync(temp, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('a malformed API_KEYS', () => {
  it.each([
    ['ok,=read', 'API_KEYS entry 2 of 2 (***=read): the key is empty'],
    ['a key=read', 'API_KEYS entry 1 of 1 (***=read): the key contains whitespace or a control character'],
    ['k1=read,k2,k1=ingest', 'API_KEYS entry 3 of 3 (***=ingest): the same key as entry 1'],
    ['k1=read+', 'API_KEYS entry 1 of 1 (***=read+): unknown scope "" (use ingest, read)'],
  ])('%s is refused: %s', (spec, message) => {
    expect(() => parseKeyList(spec, { source: 'API_KEYS' })).toThrow(message);
  });

  it('makes the runtime refuse to start, naming the entry but not its key', async () => {
    const outcome = await startTestRuntime({ env: { API_KEYS: 'first-secret,second-secret=admin' } }).then(
      async (runtime) => {
        await runtime.stop();
        return 'started';
      },
      (error: Error) => error.message,
    );
    expect(outcome).toBe('API_KEYS entry 2 of 2 (***=admin): unknown scope "admin" (use ingest, read)');
  });

  it('stops `npm start` with one line before it starts anything', { timeout: 90_000 }, async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'netingest-hardening-start-'));
    const child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'infra/local/start.ts')], {
      cwd,
      env: { ...process.env, API_KEYS: 'dup-secret,dup-secret=read', PORT: '0', DATA_DIR: ':memory:' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // Started after all: stop it, and let the assertions below fail.
      if (stdout.includes('is ready')) child.kill('SIGINT');
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((exited) => child.on('exit', exited));
    rmSync(cwd, { recursive: true, force: true });
    expect(stdout).toBe('');
    expect(stderr).toBe('netingest could not start: API_KEYS entry 2 of 2 (***=read): the same key as entry 1\n');
    expect(code).toBe(1);
  });
});

describe("the local gateway's own answers", () => {
  let runtime: LocalRuntime;
  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('are in the API error shape: 404 for an unknown route', async () => {
    const response = await getJson(runtime.url, '/no/such/route');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.body).toEqual({ error: { code: 'not_found', message: 'no route for GET /no/such/route' } });
  });

  it('are in the API error shape: 403 from the authorizer', async () => {
    const response = await getJson(runtime.url, '/packets/tables/all', { 'x-api-key': INGEST_ONLY_KEY });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'forbidden', message: 'this API key lacks the read scope' } });
  });

  it("are in the API error shape: 413 beyond API Gateway's 10 MB", async () => {
    const response = await postJson(runtime.url, '/packets', 'x'.repeat(10 * 1024 * 1024 + 1));
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });
});
