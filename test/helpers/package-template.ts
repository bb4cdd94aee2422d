import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  Outputs: Record<string, unknown>;
}

/**
 * Runs `npm run package` into a temporary directory (removed afterwards) and returns the
 * CloudFormation template; `params` are stage parameters, as `--param name=value`.
 */
export function packageTemplate(stage = 'dev', params: Record<string, string> = {}): CfnTemplate {
  const dir = mkdtempSync(join(tmpdir(), 'netingest-package-'));
  try {
    // serverless-esbuild builds in the project's .esbuild folder: two packagings at once (two
    // test files in parallel) would remove each other's work, so they take turns.
    const paramArgs = Object.entries(params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
    const result = withPackagingLock(() =>
      spawnSync(process.execPath, ['infra/package.ts', '--package', dir, ...paramArgs], {
        encoding: 'utf8',
        env: { ...process.env, STAGE: stage },
      }),
    );
    if (result.status !== 0) throw new Error(`packaging failed:\n${result.stdout}\n${result.stderr}`);
    return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LOCK = join(tmpdir(), `netingest-esbuild-${createHash('sha256').update(process.cwd()).digest('hex').slice(0, 12)}.lock`);
const STALE_LOCK_MS = 5 * 60_000;

function withPackagingLock<T>(work: () => T): T {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // A lock left by a packaging that was killed is removed once it is old.
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      Atomics.wait(pause, 0, 0, 200);
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export function resourcesOfType(template: CfnTemplate, type: string) {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}
