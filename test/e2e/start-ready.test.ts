import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../infra/local/runtime.ts';
import { DEFAULT_HTTPS_PORT, httpsPortSetting } from '../../infra/local/start.ts';
import { send } from '../helpers/wire.ts';

// `npm start` as a user runs it: its own process, its own emulators, data in DATA_DIR. The
// ready line and runtime.json are what people and tools (redrive, the deployed suite's
// embedded target) read to find it, so they must name the listeners that really answer.

/** Variables that would point start.ts away from its defaults; the caller's are not this test's. */
const CALLER_VARIABLES = ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_DYNAMODB', 'WS_PORT', 'STAGE', 'CLIENT_CA', 'CLIENT_CERT_SCOPES'];
const READY = /^netingest is ready at (http:\/\/\S+) and (https:\/\/\S+) \(certificate ([^;)]+)\)/m;

let dataDir: string;
let child: ChildProcessWithoutNullStreams;
let stdout = '';
let stderr = '';
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let ready: { url: string; httpsUrl: string; certFile: string };

/** Pids of running processes whose command line names `dir`: DynamoDB Local keeps its files there. */
function processesUsing(dir: string): number[] {
  if (!existsSync('/proc')) return [];
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function waitForReady(timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`)), timeoutMs);
    const check = () => {
      const match = READY.exec(stdout);
      if (match === null) return;
      clearTimeout(timer);
      resolveReady(match);
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`start.ts exited (${code ?? signal}) before it was ready\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    });
  });
}

describe('npm start with PORT=0, HTTPS_PORT=0 and a fresh DATA_DIR', () => {
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'netingest-start-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HTTPS_PORT: '0', DATA_DIR: dataDir, SIMULATOR: 'off' };
    for (const name of CALLER_VARIABLES) delete env[name];
    child = spawn(process.execPath, [resolve(PROJECT_ROOT, 'infra/local/start.ts')], { cwd: PROJECT_ROOT, env });
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // 'close', not 'exit': by then everything it printed has been read.
    exited = new Promise((onExit) => child.once('close', (code, signal) => onExit({ code, signal })));
    const match = await waitForReady(150_000);
    ready = { url: match[1] as string, httpsUrl: match[2] as string, certFile: match[3] as string };
  }, 180_000);

  afterAll(async () => {
    // Only when a test failed before the SIGINT test stopped it.
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const stopped = await Promise.race([exited, new Promise((r) => setTimeout(() => r(undefined), 30_000))]);
      if (stopped === undefined) child.kill('SIGKILL');
    }
    if (dataDir !== undefined) {
      for (const pid of processesUsing(dataDir)) process.kill(pid, 'SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('names the HTTP URL, the HTTPS URL and the certificate file in its ready line', () => {
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(ready.httpsUrl).toMatch(/^https:\/\/127\.0\.0\.1:[1-9]\d*$/);
    // Outside the working directory, the certificate is named by its absolute path.
    expect(ready.certFile).toBe(join(dataDir, 'localhost-cert.pem'));
    expect(existsSync(ready.certFile)).toBe(true);
  });

  it('writes the same URLs and certificate to <DATA_DIR>/runtime.json', () => {
    const state = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toMatchObject({ url: ready.url, httpsUrl: ready.httpsUrl, certFile: ready.certFile, stage: 'local' });
  });

  it('answers GET /health 200 over HTTPS to a client that trusts only the certificate file', async () => {
    const response = await send({ method: 'GET', url: `${ready.httpsUrl}/health`, headers: [], tls: { ca: readFileSync(ready.certFile) }, agent: false, timeoutMs: 10_000 });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'ok' });
  });

  it('stops on SIGINT: exits 0, removes runtime.json and leaves no DynamoDB Local running', { timeout: 60_000 }, async () => {
    expect(processesUsing(dataDir).length, 'DynamoDB Local keeps its data in DATA_DIR while it runs').toBeGreaterThan(0);
    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(stdout).toContain('SIGINT: stopping');
    expect(existsSync(join(dataDir, 'runtime.json'))).toBe(false);
    expect(processesUsing(dataDir)).toEqual([]);
  });
});

describe('the HTTPS port', () => {
  it(`is ${DEFAULT_HTTPS_PORT} when HTTPS_PORT is unset`, () => {
    expect(DEFAULT_HTTPS_PORT).toBe(3443);
    expect(httpsPortSetting(undefined)).toBe(3443);
  });

  it('is any free port for 0, none for "off", and refuses anything else', () => {
    expect(httpsPortSetting('0')).toBe(0);
    expect(httpsPortSetting('8443')).toBe(8443);
    expect(httpsPortSetting('OFF')).toBeUndefined();
    expect(() => httpsPortSetting('65536')).toThrow('HTTPS_PORT must be a port number or "off", got "65536"');
    expect(() => httpsPortSetting('https')).toThrow('HTTPS_PORT must be a port number or "off", got "https"');
  });
});
