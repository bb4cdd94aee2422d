// `npm run test:deploy [-- --keep]`: the deployed path, proven on an AWS emulator with no
// Docker and no account. In order, cleaning up on failure and on Ctrl-C too:
//   1. install the pinned MiniStack into .venv-ministack (once; git ignores it);
//   2. start it on a free 127.0.0.1 port, its extras off;
//   3. `osls package` the same serverless.yml, stage `emulator`, take out of the template
//      what MiniStack cannot create, `osls deploy` that package to it, then apply the
//      workarounds for its defects (workarounds.ts) and store an API key's hash in its SSM;
//   4. run the end-to-end suite against the deployed API (test:e2e --target emulator);
//   5. `osls remove` the stack and stop MiniStack; print the pass and fail counts.
// --keep: leave it all running after the tests (prints the URL and key) until Ctrl-C.
// --api rest: the same functions behind a REST API (stage parameter apiType: rest), as a
// LocalStack free plan would run them.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runOslsAsync } from '../osls.ts';
import { stackOutputs, storeApiKey } from '../stack.ts';
import { EMULATOR_DEFAULTS, LOG_FILE, MINISTACK_VERSION, VENV_DIR, deployedApiUrl, provideMiniStack, startMiniStack, type MiniStack } from './ministack.ts';
import { applyWorkarounds } from './workarounds.ts';
import { packageForMiniStack } from './ministack-package.ts';

const { values } = parseArgs({
  options: { keep: { type: 'boolean', default: false }, stage: { type: 'string', default: EMULATOR_DEFAULTS.stage }, api: { type: 'string', default: 'http' } },
});
const stage = values.stage as string;
const apiType = values.api as string;
if (apiType !== 'http' && apiType !== 'rest') {
  console.error('usage: npm run test:deploy -- [--api http|rest] [--keep] [--stage <stage>]');
  process.exit(2);
}
const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const region = EMULATOR_DEFAULTS.region;
const log = (line: string) => console.log(`[test:deploy] ${line}`);
/** Where the stack is packaged before it is deployed (git ignores .venv-ministack). */
const PACKAGE_DIR = join(VENV_DIR, 'run', 'package');
const timings: string[] = [];
async function step<T>(name: string, work: () => Promise<T> | T): Promise<T> {
  log(`${name}...`);
  const started = Date.now();
  try {
    return await work();
  } finally {
    timings.push(`${name} ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

// Children to end on a signal: osls and the test run, each in a process group of its own.
const running = new Set<ChildProcess>();
let emulator: MiniStack | undefined;
let deployStarted = false;
let cleaning: Promise<boolean> | undefined;

/** The environment osls and the suite see: the emulator, and none of the caller's AWS settings. */
function awsEnv(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_')));
  return {
    ...env,
    // osls and vitest, also when this script runs outside npm.
    PATH: `${join(ROOT, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: EMULATOR_DEFAULTS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_DEFAULTS.secretAccessKey,
    AWS_REGION: region,
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  };
}

/** Removes the stack (if a deploy began) and stops MiniStack; true when the stack was removed. */
function cleanUp(): Promise<boolean> {
  return (cleaning ??= (async () => {
    let removed = !deployStarted;
    try {
      if (emulator && deployStarted) {
        removed = await step('remove', async () => (await runOslsAsync(['remove', '--stage', stage, '--region', region], awsEnv(emulator!.endpoint), track)) === 0);
        if (!removed) log('osls remove failed');
      }
    } finally {
      if (emulator) await step('stop MiniStack', () => emulator!.stop());
      rmSync(PACKAGE_DIR, { recursive: true, force: true });
    }
    return removed;
  })());
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/** Set while --keep waits: a signal then ends the wait, and the run finishes as usual. */
let endKeep: (() => void) | undefined;

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    if (endKeep) return endKeep();
    log(`${signal}: stopping the tests, removing the stack and stopping MiniStack`);
    for (const child of running) {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
    }
    void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults?: { assertionResults?: { status: string; fullName: string; failureMessages?: string[] }[] }[];
}

async function runSuite(env: NodeJS.ProcessEnv, report: string): Promise<number> {
  const child = spawn(process.execPath, [join(ROOT, 'infra/e2e.ts'), '--target', 'emulator', '--stage', stage, '--report', report], { stdio: 'inherit', env, detached: true });
  track(child);
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = false;
try {
  await step('install MiniStack', () => {
    const { installed } = provideMiniStack(log);
    log(installed ? `installed MiniStack ${MINISTACK_VERSION}` : `MiniStack ${MINISTACK_VERSION} already in ${VENV_DIR}`);
  });
  emulator = await step('start MiniStack', () => startMiniStack(log));
  log(`MiniStack ${MINISTACK_VERSION} on ${emulator.endpoint} (pid ${emulator.pid}, Lambdas on node ${emulator.nodeVersion}, log ${LOG_FILE})`);
  const env = awsEnv(emulator.endpoint);

  // Packaged first, so that the template can go without what MiniStack cannot create.
  const stageOptions = ['--stage', stage, '--region', region, '--param', `apiType=${apiType}`];
  const patched = await step('package', () =>
    packageForMiniStack((args) => runOslsAsync(args, env, track), { endpoint: emulator!.endpoint, region, args: stageOptions, dir: PACKAGE_DIR }),
  );
  for (const line of patched) log(line);
  deployStarted = true;
  const deployed = await step('deploy', () => runOslsAsync(['deploy', ...stageOptions, '--package', PACKAGE_DIR], env, track));
  if (deployed !== 0) throw new Error(`osls deploy exited ${deployed}`);
  const outputs = await stackOutputs(stage, env);
  const url = deployedApiUrl(emulator.endpoint, outputs);
  if (url === undefined) throw new Error(`stack netingest-${stage} has neither an HttpApiId nor a ServiceEndpoint output`);
  for (const line of await applyWorkarounds({ endpoint: emulator.endpoint, stage, region, outputs })) log(line);
  const key = await storeApiKey(stage, undefined, env);
  log(`${apiType === 'rest' ? 'REST' : 'HTTP'} API ${url}`);

  const report = join(VENV_DIR, 'run', 'e2e-report.json');
  rmSync(report, { force: true });
  const status = await step('end-to-end suite', () => runSuite({ ...env, API_URL: url, API_KEY: key }, report));
  if (existsSync(report)) {
    const results = JSON.parse(readFileSync(report, 'utf8')) as VitestReport;
    passed = results.numPassedTests;
    failed = results.numFailedTests;
    skipped = results.numPendingTests + results.numTodoTests;
  } else {
    failed = 1;
    log(`the suite wrote no report (exit ${status})`);
  }
  ok = status === 0 && failed === 0 && passed > 0;

  if (values.keep) {
    log(`kept running: API ${url}  key ${key}  AWS_ENDPOINT_URL=${emulator.endpoint}   (Ctrl-C removes the stack and stops MiniStack)`);
    await new Promise<void>((resolve) => {
      const alive = setInterval(() => {}, 60_000);
      endKeep = () => {
        clearInterval(alive);
        resolve();
      };
    });
  }
} catch (error) {
  log(`failed: ${(error as Error).message}`);
  if (failed === 0) failed = 1;
  ok = false;
} finally {
  const removed = await cleanUp().catch((error) => {
    log(`clean-up failed: ${(error as Error).message}`);
    return false;
  });
  if (!removed) ok = false;
  log(timings.join(', '));
  if (!ok) log(`MiniStack's log: ${LOG_FILE}`);
  // The closing line CI reads: the end-to-end tests run against the deployed stack.
  console.log(`\nemulator${apiType === 'rest' ? ' (REST API)' : ''}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(ok ? 0 : 1);
}
