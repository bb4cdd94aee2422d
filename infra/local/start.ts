// `npm start`: the whole pipeline on this machine, until Ctrl-C.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startLocalRuntime } from './runtime.ts';

const port = Number(process.env.PORT ?? 3000);
const dataDir = process.env.DATA_DIR ?? '.data';
// A fixed development key, so that the README's curl examples work as they are.
const defaultKey = process.env.API_KEYS === undefined || process.env.API_KEYS === '';
if (defaultKey) process.env.API_KEYS = 'local-dev-key';

try {
  const runtime = await startLocalRuntime({
    port,
    dataDir,
    stage: process.env.STAGE ?? 'local',
    clockSpeed: Number(process.env.CLOCK_SPEED ?? 1),
  });
  const where = process.env.AWS_ENDPOINT_URL ? `using ${process.env.AWS_ENDPOINT_URL}` : `data in ${dataDir === ':memory:' ? 'memory' : dataDir}`;
  // Where `npm run redrive` and other tools find this runtime's emulators.
  const stateDir = dataDir === ':memory:' ? '.data' : dataDir;
  const stateFile = resolve(stateDir, 'runtime.json');
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(stateFile, JSON.stringify({ url: runtime.url, stage: runtime.config.stage, endpoints: runtime.endpoints }, null, 2));
  const keys = defaultKey ? '; API key: local-dev-key' : '';
  console.log(`netingest is ready at ${runtime.url} (${where}${keys}; Ctrl-C stops)`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await runtime.stop();
    rmSync(stateFile, { force: true });
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  console.error(`netingest could not start: ${(error as Error).message}`);
  process.exit(1);
}
