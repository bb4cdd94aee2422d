// MiniStack (the PyPI package `ministack`, MIT): a free AWS emulator that runs Lambdas as
// local processes, so the packaged stack deploys to it with osls and no Docker.
// This module installs the pinned release into a project-local virtualenv and runs it
// on a free loopback port with every extra listener off.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { freePort } from '../local/emulators.ts';
import { provideVirtualenv, run } from '../python-venv.ts';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MINISTACK_VERSION = '1.5.33';
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
/** git ignores it (.gitignore); `rm -rf .venv-ministack` is always safe. */
export const VENV_DIR = join(ROOT, '.venv-ministack');
const REQUIREMENTS = join(ROOT, 'infra/emulator/requirements.txt');
const RUN_DIR = join(VENV_DIR, 'run');
/** The log of the latest MiniStack started (kept after it stops, for a failed run). */
export const LOG_FILE = join(RUN_DIR, 'ministack.log');
const PID_FILE = join(RUN_DIR, 'ministack.pid');

/** What `--target emulator` and `npm run test:deploy` assume unless told otherwise. */
export const EMULATOR_DEFAULTS = {
  endpoint: 'http://127.0.0.1:4566',
  // Not a 12-digit number, so MiniStack uses its default account 000000000000.
  accessKeyId: 'test',
  secretAccessKey: 'test',
  region: 'us-east-1',
  stage: 'emulator',
};

/**
 * Only the services this stack uses (osls also probes ECR on remove). MiniStack refuses
 * the rest, so nothing else of it (IoT's MQTT listener, Transfer's SFTP, RDS's proxies)
 * can start.
 */
const SERVICES = ['cloudformation', 's3', 'iam', 'sts', 'lambda', 'logs', 'sqs', 'dynamodb', 'apigateway', 'events', 'ssm', 'secretsmanager', 'ecr'];

/** An HTTP API's path-style execute-api URL on MiniStack (its `$default` stage has no path segment). */
export function executeApiUrl(endpoint: string, apiId: string): string {
  return `${endpoint.replace(/\/$/, '')}/_aws/execute-api/${apiId}`;
}

/**
 * The API's URL on MiniStack from the stack's outputs: an HTTP API's path-style URL, or a REST
 * API's (stage parameter apiType: rest), whose ServiceEndpoint names AWS's host and the stage.
 */
export function deployedApiUrl(endpoint: string, outputs: Record<string, string | undefined>): string | undefined {
  if (outputs.HttpApiId) return executeApiUrl(endpoint, outputs.HttpApiId);
  const rest = /^https?:\/\/([^./]+)\.execute-api\.[^/]+\/([^/?#]+)/.exec(outputs.ServiceEndpoint ?? '');
  return rest ? `${executeApiUrl(endpoint, rest[1] as string)}/${rest[2]}` : undefined;
}

function python(): string {
  return process.env.PYTHON ?? 'python3';
}

/**
 * Installs the pinned MiniStack into .venv-ministack unless it is there already (the
 * requirements file's hash is stamped into the virtualenv). Needs Python 3.10+ with venv
 * and pip (PYTHON names another interpreter) and PyPI.
 */
export function provideMiniStack(log: (line: string) => void): { installed: boolean } {
  const { python: venvPython, installed } = provideVirtualenv(VENV_DIR, REQUIREMENTS, {
    python: python(),
    check: () => {
      const version = run(python(), ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], 'checking Python');
      const [major, minor] = version.split('.').map(Number) as [number, number];
      if (major < 3 || (major === 3 && minor < 10)) throw new Error(`MiniStack needs Python 3.10 or newer; ${python()} is ${version} (set PYTHON)`);
      log(`installing MiniStack ${MINISTACK_VERSION} into ${VENV_DIR} (Python ${version})`);
    },
  });
  if (installed) {
    const version = run(venvPython, ['-c', 'import importlib.metadata as m; print(m.version("ministack"))'], 'checking MiniStack');
    if (version !== MINISTACK_VERSION) throw new Error(`installed MiniStack ${version}, expected ${MINISTACK_VERSION}`);
  }
  return { installed };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A MiniStack left by a run that was killed outright (SIGKILL gives no chance to clean
 * up): its owner is gone, it is still running, it is ours. Ended with its process group.
 */
function endOrphan(log: (line: string) => void): void {
  if (!existsSync(PID_FILE)) return;
  const [pid, owner] = readFileSync(PID_FILE, 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  if (pid > 0 && alive(pid) && !(owner > 0 && alive(owner))) {
    log(`ending MiniStack ${pid}, left running by an earlier run (pid ${owner}) that did not stop it`);
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(PID_FILE, { force: true });
}

/** The `node` first on PATH must be Node 24: MiniStack runs each nodejs24.x function with it. */
function checkNode(path: string): string {
  const result = spawnSync('node', ['--version'], { encoding: 'utf8', env: { PATH: path } });
  const version = result.stdout?.trim() ?? '';
  if (Number(/^v(\d+)/.exec(version)?.[1] ?? 0) < 24) {
    throw new Error(`MiniStack would run the nodejs24.x functions with node ${version || '(none found)'}; put Node 24 first on PATH (npm scripts do)`);
  }
  return version;
}

export interface MiniStack {
  endpoint: string;
  port: number;
  pid: number;
  nodeVersion: string;
  /** Ends MiniStack and every Lambda worker it started (its process group). Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts the installed MiniStack on a free 127.0.0.1 port and waits until it is ready.
 * Its environment is built here rather than inherited: MiniStack hands its own
 * environment to every Lambda process, and none of the caller's AWS credentials or
 * endpoints belong there.
 */
export async function startMiniStack(log: (line: string) => void): Promise<MiniStack> {
  mkdirSync(RUN_DIR, { recursive: true });
  endOrphan(log);
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Node 24 first (the one running this script: npm's node_modules/.bin/node), for the Lambdas.
  const path = [dirname(process.execPath), join(VENV_DIR, 'bin'), process.env.PATH ?? '/usr/bin:/bin'].join(':');
  const nodeVersion = checkNode(path);
  for (const dir of ['/docker-entrypoint-initaws.d', '/etc/localstack/init/boot.d', '/etc/localstack/init/ready.d']) {
    if (existsSync(dir) && readdirSync(dir).length > 0) log(`warning: MiniStack runs the init scripts it finds in ${dir} at start; this machine has some`);
  }
  // Outside the project: MiniStack unpacks each function's bundle and its own CommonJS worker
  // script here, and Node would read them as ES modules under the project's package.json
  // ("type": "module"); the worker then exits at once with nothing on stderr.
  const temp = mkdtempSync(join(tmpdir(), 'netingest-ministack-'));
  const env: NodeJS.ProcessEnv = {
    PATH: path,
    HOME: process.env.HOME ?? temp,
    LANG: process.env.LANG ?? 'C.UTF-8',
    // Lambda code is unpacked here; removed on stop.
    TMPDIR: temp,
    GATEWAY_PORT: String(port),
    // Loopback only (its default is every interface), and the name its URLs carry.
    BIND_HOST: '127.0.0.1',
    MINISTACK_HOST: '127.0.0.1',
    MINISTACK_REGION: EMULATOR_DEFAULTS.region,
    SERVICES: SERVICES.join(','),
    // Extras off: the IoT mTLS MQTT listener (on by default, on 0.0.0.0:8883 when
    // `cryptography` is installed) and Transfer's SFTP listener.
    IOT_MTLS_ENABLED: '0',
    SFTP_ENABLED: '0',
    // Lambdas as local Node processes; no Docker even where a daemon runs (MiniStack
    // would otherwise reap containers it believes are its own at start).
    LAMBDA_EXECUTOR: 'local',
    DOCKER_HOST: `unix://${join(temp, 'no-docker.sock')}`,
    // Nothing kept: each run starts empty.
    PERSIST_STATE: '0',
    S3_PERSIST: '0',
    LOG_LEVEL: 'INFO',
  };
  const out = openSync(LOG_FILE, 'w');
  let child: ChildProcess;
  try {
    child = spawn(join(VENV_DIR, 'bin', 'ministack'), [], { cwd: temp, env, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  const pid = child.pid as number;
  writeFileSync(PID_FILE, `${pid} ${process.pid}\n`);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  void exit.then(() => (exited = true));

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      if (!exited) {
        try {
          process.kill(-pid, 'SIGTERM');
        } catch {
          // already gone
        }
        const killed = setTimeout(() => {
          try {
            process.kill(-pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }, 10_000);
        await exit;
        clearTimeout(killed);
      }
      // Lambda workers share its process group: none may outlive it.
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // none left
      }
      rmSync(temp, { recursive: true, force: true });
      rmSync(PID_FILE, { force: true });
    })());

  const deadline = Date.now() + 60_000;
  while (true) {
    if (exited) {
      await stop();
      throw new Error(`MiniStack exited during start-up; its log (${LOG_FILE}):\n${readFileSync(LOG_FILE, 'utf8').slice(-4000)}`);
    }
    const ready = await fetch(`${endpoint}/_ministack/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`MiniStack was not ready within 60 s; its log: ${LOG_FILE}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  const health = (await (await fetch(`${endpoint}/_ministack/health`)).json()) as { version?: string };
  if (health.version !== MINISTACK_VERSION) {
    await stop();
    throw new Error(`MiniStack on ${endpoint} reports version ${health.version}, expected ${MINISTACK_VERSION}`);
  }
  return { endpoint, port, pid, nodeVersion, stop };
}
