import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A virtualenv at `dir` holding a pinned requirements file's packages from PyPI. Made once
 * and again only when the file changes: its hash is stamped into the virtualenv. Returns the
 * virtualenv's python and whether it was (re)made now; `check` runs before a (re)make.
 */
export function provideVirtualenv(dir: string, requirements: string, options: { python: string; check?: () => void }): { python: string; installed: boolean } {
  const python = join(dir, 'bin', 'python');
  const stampFile = join(dir, 'requirements.sha256');
  const stamp = createHash('sha256').update(readFileSync(requirements)).digest('hex');
  if (existsSync(python) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return { python, installed: false };
  options.check?.();
  rmSync(dir, { recursive: true, force: true });
  run(options.python, ['-m', 'venv', dir], 'creating the virtualenv');
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', requirements], 'pip install');
  writeFileSync(stampFile, stamp);
  return { python, installed: true };
}

/** Runs a command to its end; its trimmed output, or an error naming `what`. */
export function run(command: string, args: string[], what: string): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.error) throw new Error(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout}${result.stderr}`);
  return result.stdout.trim();
}
