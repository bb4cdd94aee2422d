import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
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

/**
 * runOsls without blocking this process: its signal handlers stay live while osls runs
 * (npm run test:deploy cleans up on Ctrl-C), and `onStart` is given the child to end.
 */
export async function runOslsAsync(args: string[], env: NodeJS.ProcessEnv, onStart: (child: ChildProcess) => void = () => {}): Promise<number> {
  const temp = mkdtempSync(join(tmpdir(), 'netingest-osls-'));
  try {
    const child = spawn('osls', args, { stdio: 'inherit', env: { ...env, TMPDIR: temp, TMP: temp, TEMP: temp } });
    onStart(child);
    return await new Promise<number>((resolve) => {
      child.on('error', () => resolve(1));
      child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
    });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
