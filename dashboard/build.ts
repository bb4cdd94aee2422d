// `npm run build:dashboard`: the dashboard's static files into dashboard/dist (git ignores
// them). With --if-missing (what `npm start` runs first) it builds only when dist is absent
// or older than a source file, so a fresh checkout and an edited source both just work.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_ROOT = resolve(fileURLToPath(import.meta.url), '..');
export const DASHBOARD_DIST = join(DASHBOARD_ROOT, 'dist');
const SOURCES = ['index.html', 'vite.config.ts', 'src'];

function newestSource(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestSource(join(path, name))));
}

/** Whether dist holds a build at least as new as every source. */
export function dashboardIsBuilt(): boolean {
  const index = join(DASHBOARD_DIST, 'index.html');
  if (!existsSync(index)) return false;
  const built = statSync(index).mtimeMs;
  return SOURCES.every((source) => newestSource(join(DASHBOARD_ROOT, source)) <= built);
}

/** Builds with Vite (in this process) unless `ifMissing` and the build is current. */
export async function buildDashboard({ ifMissing = false } = {}): Promise<'built' | 'current'> {
  if (ifMissing && dashboardIsBuilt()) return 'current';
  const { build } = await import('vite');
  await build({ configFile: join(DASHBOARD_ROOT, 'vite.config.ts'), logLevel: 'warn' });
  return 'built';
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const outcome = await buildDashboard({ ifMissing: process.argv.includes('--if-missing') });
  if (outcome === 'built') console.log(`dashboard built into ${DASHBOARD_DIST} in ${Math.round(performance.now() - started)} ms`);
}
