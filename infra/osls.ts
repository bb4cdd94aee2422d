import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the osls CLI with a temp dir of its own, removed when it ends: serverless-esbuild
 * zips each function from a folder in the temp dir and its cleanup cannot delete a
 * folder that is not empty, so every package or deploy would leave one per function.
 */
export function runOsls(args: string[], env: NodeJS.ProcessEnv): number {
  const temp = mkdtempSync(join(tmpdir(), 'netingest-osls-'));
  try {
    const result = spawnSync('osls', args, { stdio: 'inherit', env: { ...env, TMPDIR: temp, TMP: temp, TEMP: temp } });
    return result.status ?? 1;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
