// `npm start`: the whole pipeline on this machine, until Ctrl-C.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { startLocalRuntime } from './runtime.ts';

/** Where `npm start` serves HTTPS when HTTPS_PORT is unset. */
export const DEFAULT_HTTPS_PORT = 3443;

/**
 * The HTTPS port that HTTPS_PORT asks for: HTTPS beside HTTP by default (https-notif
 * publishers speak nothing else), `off` for none, 0 for any free port.
 */
export function httpsPortSetting(setting: string | undefined): number | undefined {
  const value = setting ?? String(DEFAULT_HTTPS_PORT);
  if (value.toLowerCase() === 'off') return undefined;
  const port = Number(value);
  if (!(Number.isInteger(port) && port >= 0 && port < 65536)) throw new Error(`HTTPS_PORT must be a port number or "off", got "${value}"`);
  return port;
}

async function start(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const dataDir = process.env.DATA_DIR ?? '.data';
  const clientCa = process.env.CLIENT_CA === undefined || process.env.CLIENT_CA === '' ? undefined : process.env.CLIENT_CA;
  // Where `npm run redrive` and other tools find this runtime's emulators, and where the HTTPS
  // certificate is kept (made on first start, reused afterwards).
  const stateDir = dataDir === ':memory:' ? '.data' : dataDir;
  // A fixed development key, so that the README's curl examples work as they are.
  // Handlers log and emit metrics as they do in Lambda; here Powertools prints both indented.
  process.env.POWERTOOLS_DEV ??= 'true';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'false';
  const defaultKey = process.env.API_KEYS === undefined || process.env.API_KEYS === '';
  if (defaultKey) process.env.API_KEYS = 'local-dev-key';

  // The simulated network (seed 004's demo) runs unless SIMULATOR=off; it is a stage parameter.
  const simulatorSetting = (process.env.SIMULATOR ?? '').toLowerCase();
  const simulator = simulatorSetting === '' ? undefined : simulatorSetting;

  try {
    if (simulator !== undefined && simulator !== 'on' && simulator !== 'off') throw new Error(`SIMULATOR must be "on" or "off", got "${process.env.SIMULATOR}"`);
    const httpsPort = httpsPortSetting(process.env.HTTPS_PORT);
    const runtime = await startLocalRuntime({
      port,
      dataDir,
      stage: process.env.STAGE ?? 'local',
      params: simulator === undefined ? undefined : { simulator },
      clockSpeed: Number(process.env.CLOCK_SPEED ?? 1),
      // The WebSocket API (GET /live hands out its URL); by default the port after PORT.
      websocketPort: process.env.WS_PORT === undefined || process.env.WS_PORT === '' ? undefined : Number(process.env.WS_PORT),
      https: httpsPort === undefined ? undefined : { port: httpsPort, certDir: stateDir, clientCa },
    });
    const where = process.env.AWS_ENDPOINT_URL ? `using ${process.env.AWS_ENDPOINT_URL}` : `data in ${dataDir === ':memory:' ? 'memory' : dataDir}`;
    const stateFile = resolve(stateDir, 'runtime.json');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      stateFile,
      JSON.stringify({ url: runtime.url, httpsUrl: runtime.httpsUrl, websocketUrl: runtime.websocketUrl, certFile: runtime.certFile, stage: runtime.config.stage, endpoints: runtime.endpoints }, null, 2),
    );
    const keys = defaultKey ? '; API key: local-dev-key' : '';
    const certFile = runtime.certFile === undefined ? '' : relative(process.cwd(), runtime.certFile);
    const certShown = certFile === '' || certFile.startsWith('..') ? runtime.certFile : certFile;
    const https = runtime.httpsUrl === undefined ? '' : ` and ${runtime.httpsUrl} (certificate ${certShown}${clientCa === undefined ? '' : `; client certificates from ${clientCa}`})`;
    const live = runtime.websocketUrl === undefined ? '' : `, live at ${runtime.websocketUrl} (GET /live gives a URL with a token)`;
    const simulated = runtime.functions.has('simulator') ? '; the simulated network runs (SIMULATOR=off stops it)' : '';
    console.log(`netingest is ready at ${runtime.url}${https}${live} (${where}${keys}${simulated}; Ctrl-C stops)`);

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
}

// Imported (by a test of its settings), this file starts nothing.
if (import.meta.main) await start();
