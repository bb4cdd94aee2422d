// Section 12 of `npm run bench`, or alone: `node bench/seed-packets.ts`. The packet server
// netingest replaces (seed 000: Flask-RESTful and MySQL under uWSGI, 2 processes x 2
// threads, behind nginx), run from a local copy of its public code beside netingest: 3,000
// packets at one per POST from 8 clients, as the network-monitor-client sends them, until
// GET /packets/tables/all is exact on each side; then netingest with POSTs of 100 against
// the seed's one per POST (it has no batch form). SEED000_DIR names the copy (the folder
// holding its flask_api/ and nginx/); nothing of it is in this repository. MariaDB (for its
// MySQL) and nginx come from the system's packages, its pinned Python packages go into
// .venv-seed000, and everything runs on 127.0.0.1 under a temporary directory.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { accessSync, chmodSync, closeSync, constants, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort, type Endpoints } from '../infra/local/emulators.ts';
import { PROJECT_ROOT, startLocalRuntime } from '../infra/local/runtime.ts';
import { provideVirtualenv } from '../infra/python-venv.ts';
import { pythonJsonDumps, send, snifferPacket } from '../test/helpers/wire.ts';
import { POLLERS } from './hot-items.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { measure, show, sideBySide, warmUntilSettled, type WarmUp } from './stats.ts';

const PACKETS = 3_000;
const CLIENTS = 8;
const BATCH = 100;
// Warm-up rounds until a round's rate is within WARM_UP_SETTLED of the last one's: DynamoDB
// Local's JVM keeps compiling for about 12,000 packets (its first 3,000 ran at 234 packets/s,
// its fourth at 527), which 200 packets left inside the measured runs.
const WARM_UP_ROUND = 1_500;
const WARM_UP_SETTLED = 0.1;
/** Rounds always run, so that two noisy early rounds that happen to agree do not end the warm-up. */
const WARM_UP_MIN_ROUNDS = 4;
const WARM_UP_MAX_ROUNDS = 12;
const TARGET_ONE_PER_POST = 1;
const TARGET_BATCHED = 3;
const POLL_MS = 50;
const EXACT_WITHIN_MS = 120_000;
const VENV = join(PROJECT_ROOT, '.venv-seed000');
const REQUIREMENTS = join(PROJECT_ROOT, 'bench/seeds/requirements-seed000.txt');
const SAMPLES_DIR = join(PROJECT_ROOT, 'events/packets');
const UWSGI_PARAMS = '/etc/nginx/uwsgi_params';
// What the seed's docker-compose and mysql/init.sh set up: its database, its low-privilege
// user (the secret's "user=host=password" line) and that user's grants.
const DATABASE = 'packets';
const DB_USER = 'flask-api';
const DB_HOST = '127.0.0.1';
const DB_GRANTS = 'CREATE, DELETE, INSERT, SELECT, UPDATE, REFERENCES';

const execFileAsync = promisify(execFile);
type Packet = Record<string, unknown>;

/** A row in the results table's format for when the section cannot run here. */
const notRun = (why: string) => `| 12 seed 000 | packets at one per POST to exact counts, against the packet server it replaces | not run: ${why} | | | | |`;

// ---------------------------------------------------------------------------------------
// The workload: the sniffer's packets, posted by the sniffer's own request pattern.

/**
 * The samples netingest's tests replay, as the real client would send them to the seed. Two
 * differences from events/packets/: AF_Packet always carries Hardware_Physical_Address, as
 * the client's link layer always sets it (network_monitor/protocols/link_layer.py) and the
 * seed's model requires it; and unknown.json is left out, because the seed's Unknown model
 * reads "message" and "identifier", keys the client never sends (it sends Message and
 * Protocol_Identifier), so the seed answers 500 to every such packet.
 */
function clientSamples(): Packet[] {
  return readdirSync(SAMPLES_DIR)
    .filter((file) => file.endsWith('.json') && file !== 'unknown.json')
    .sort()
    .map((file) => {
      const sample = JSON.parse(readFileSync(join(SAMPLES_DIR, file), 'utf8')) as Packet;
      const link = sample.AF_Packet as Record<string, unknown>;
      sample.AF_Packet = { ...link, Hardware_Physical_Address: link.Hardware_Physical_Address ?? '00:15:5D:3C:5F:B2' };
      return sample;
    });
}

const SAMPLES = clientSamples();

const workload = (count: number): Packet[] => Array.from({ length: count }, (_, i) => snifferPacket(structuredClone(SAMPLES[i % SAMPLES.length] as Packet), 60 + (i % 1400)));

/** Rows each table gains: one per packet under each of its layers, plus `perPacket` tables (the seed's Packet). */
function expectedGains(packets: Packet[], perPacket: string[]): Map<string, number> {
  const gains = new Map<string, number>(perPacket.map((table) => [table, packets.length]));
  for (const packet of packets) {
    for (const layer of Object.keys(packet)) if (layer !== 'Info') gains.set(layer, (gains.get(layer) ?? 0) + 1);
  }
  return gains;
}

/** Whether every table gained exactly what it should, and no other table changed. */
function exactlyGained(now: Record<string, number>, base: Record<string, number>, gains: Map<string, number>): boolean {
  const tables = new Set([...Object.keys(now), ...Object.keys(base), ...gains.keys()]);
  return [...tables].every((table) => (now[table] ?? 0) - (base[table] ?? 0) === (gains.get(table) ?? 0));
}

/** One client's way of posting: each send is one request, resolved with its answer's milliseconds. */
interface Sender {
  send(packets: Packet[]): Promise<number>;
  close(): void;
}

// The sniffer's requests as SnifferClient (test/helpers/wire.ts) puts them on the wire: its
// aiohttp headers, Python's json.dumps, one kept-alive connection, a liveness GET that must
// answer 200 first. One difference: its 1 s timeout is not applied. The real client gives up
// on a later answer and keeps that packet to its local files for good, so the server's
// counts could never be exact; here the answer is waited for and counted as late, so that a
// stall slows a run and shows in its row instead of ending it.
const SNIFFER_HEADERS: [string, string][] = [
  ['Accept', '*/*'],
  ['Accept-Encoding', 'gzip, deflate'],
  ['User-Agent', 'Python/3.8 aiohttp/3.7.4.post0'],
];
const SNIFFER_TIMEOUT_MS = 1_000;
const WAIT_FOR_ANSWER_MS = 60_000;

/** The network-monitor-client's submitter, one packet per POST; `basic` is the user:key its URL would carry. */
async function snifferSender(url: string, basic?: string): Promise<Sender> {
  const agent = new HttpAgent({ keepAlive: true });
  const headers: [string, string][] = [...SNIFFER_HEADERS, ...(basic === undefined ? [] : [['Authorization', `Basic ${Buffer.from(basic).toString('base64')}`] as [string, string]])];
  const live = await send({ method: 'GET', url, headers, timeoutMs: SNIFFER_TIMEOUT_MS, agent });
  if (live.status !== 200) {
    agent.destroy();
    throw new Error(`GET ${url} answered ${live.status}: the sniffer would keep to its local files`);
  }
  return {
    async send([packet]) {
      (packet?.Info as Record<string, unknown>).Submitted_Timestamp = Date.now() / 1000;
      const body = pythonJsonDumps(packet);
      const response = await send({ method: 'POST', url, headers: [...headers, ['Content-Length', String(Buffer.byteLength(body))], ['Content-Type', 'application/json']], body, timeoutMs: WAIT_FOR_ANSWER_MS, agent });
      // raise_for_status(): the client would move to its local files for good.
      if (response.status >= 400) throw new Error(`POST ${url} answered ${response.status}: ${response.body.slice(0, 300)}`);
      return response.ms;
    },
    close: () => agent.destroy(),
  };
}

/** netingest's batch form: a JSON array of packets per POST, stamped when submitted as the client stamps one. */
function batchSender(url: string, key: string): Sender {
  return {
    async send(packets) {
      const submitted = Date.now() / 1000;
      for (const packet of packets) (packet.Info as Record<string, unknown>).Submitted_Timestamp = submitted;
      const sent = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(packets) });
      const body = await response.text();
      if (response.status !== 202) throw new Error(`POST ${url} answered ${response.status}: ${body.slice(0, 300)}`);
      return performance.now() - sent;
    },
    close: () => {},
  };
}

interface Target {
  name: string;
  /** What GET /packets/tables/all answers now. */
  counts(): Promise<Record<string, number>>;
  /** Tables that gain a row per packet whatever its layers. */
  perPacketTables: string[];
}

interface RunResult {
  /** Packets/s from the first POST until the counts were exact. */
  rate: number;
  /** POSTs answered after the sniffer's 1 s timeout. */
  late: number;
}

/**
 * `count` packets in POSTs of `perPost` from CLIENTS clients, each sending its next POST
 * when the last is answered, timed from the first POST until the counts have gained exactly
 * the workload; one poller reads the counts every POLL_MS once every POST is answered.
 */
async function exactRun(count: number, perPost: number, openSender: () => Promise<Sender>, target: Target): Promise<RunResult> {
  const packets = workload(count);
  const gains = expectedGains(packets, target.perPacketTables);
  const posts: Packet[][] = [];
  for (let i = 0; i < packets.length; i += perPost) posts.push(packets.slice(i, i + perPost));
  const senders: Sender[] = [];
  try {
    for (let i = 0; i < CLIENTS; i++) senders.push(await openSender());
    const base = await target.counts();
    const started = performance.now();
    let next = 0;
    let late = 0;
    await Promise.all(
      senders.map(async (sender) => {
        while (next < posts.length) if ((await sender.send(posts[next++] as Packet[])) > SNIFFER_TIMEOUT_MS) late += 1;
      }),
    );
    const answered = performance.now();
    const deadline = answered + EXACT_WITHIN_MS;
    for (;;) {
      const now = await target.counts();
      if (exactlyGained(now, base, gains)) {
        const seconds = (performance.now() - started) / 1000;
        // Where the time went (ingest or visibility), on stderr beside the table.
        process.stderr.write(`seed 000: ${target.name}, ${count} packets in POSTs of ${perPost}: all answered after ${((answered - started) / 1000).toFixed(1)} s (${late} after 1 s), counts exact after ${seconds.toFixed(1)} s\n`);
        return { rate: count / seconds, late };
      }
      if (performance.now() > deadline) {
        throw new Error(`the counts were not exact ${EXACT_WITHIN_MS / 1000} s after the last POST: gained ${JSON.stringify(Object.fromEntries(Object.keys(now).map((t) => [t, (now[t] ?? 0) - (base[t] ?? 0)])))}, expected ${JSON.stringify(Object.fromEntries(gains))}`);
      }
      await sleep(POLL_MS);
    }
  } finally {
    for (const sender of senders) sender.close();
  }
}

async function countsAt(url: string, headers: Record<string, string> = {}): Promise<Record<string, number>> {
  const response = await fetch(url, { headers });
  if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
  return (await response.json()) as Record<string, number>;
}

// ---------------------------------------------------------------------------------------
// The seed: MariaDB, its app under uWSGI, nginx in front, each in a process group of its own.

interface Programs {
  mariadbd: string;
  installDb: string;
  client: string;
  nginx: string;
}

/** An executable named `name` on the PATH or in the sbin folders (where Debian puts servers). */
function findProgram(name: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'].filter((folder) => folder !== '');
  return folders
    .map((folder) => join(folder, name))
    .find((path) => {
      try {
        accessSync(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
}

const PROGRAM_NAMES: Record<keyof Programs, string> = { mariadbd: 'mariadbd', installDb: 'mariadb-install-db', client: 'mariadb', nginx: 'nginx' };

function findPrograms(): Programs | { missing: string[] } {
  const found: Partial<Programs> = {};
  const missing: string[] = [];
  for (const [role, name] of Object.entries(PROGRAM_NAMES) as [keyof Programs, string][]) {
    const path = findProgram(name);
    if (path === undefined) missing.push(name);
    else found[role] = path;
  }
  if (!existsSync(UWSGI_PARAMS)) missing.push(UWSGI_PARAMS);
  return missing.length > 0 ? { missing } : (found as Programs);
}

/** The pinned packages in .venv-seed000, made once and again when the requirements change. */
function seedPython(): string {
  const check = () => {
    if (findProgram('cc') === undefined) throw new Error('uWSGI builds from source when installed: a C compiler (cc) is needed');
  };
  return provideVirtualenv(VENV, REQUIREMENTS, { python: process.env.PYTHON ?? 'python3', check }).python;
}

interface Daemon {
  name: string;
  process: ChildProcess;
  log: string;
}

/** A server in a process group of its own (so its workers stop with it), its output in `dir`. */
function startDaemon(name: string, command: string, args: string[], dir: string, env: NodeJS.ProcessEnv = process.env): Daemon {
  const log = join(dir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  child.on('error', () => {}); // a start that fails shows as an exit; the log says why
  return { name, process: child, log };
}

const exited = (d: Daemon) => d.process.exitCode !== null || d.process.signalCode !== null;

function signalGroup(d: Daemon, signal: NodeJS.Signals): void {
  if (d.process.pid === undefined) return;
  try {
    process.kill(-d.process.pid, signal);
  } catch {
    // the group is gone already
  }
}

/** TERM to the group (each of these servers shuts down cleanly on it), KILL whatever is left after 15 s. */
async function stopDaemon(d: Daemon): Promise<void> {
  const gone = exited(d) ? Promise.resolve() : new Promise<void>((resolve) => d.process.once('exit', () => resolve()));
  signalGroup(d, 'SIGTERM');
  await Promise.race([gone, sleep(15_000)]);
  signalGroup(d, 'SIGKILL');
  await Promise.race([gone, sleep(5_000)]);
}

const logTail = (d: Daemon) => (existsSync(d.log) ? readFileSync(d.log, 'utf8').slice(-2_000) : '');

/** Calls `ready` until it resolves true, failing when `daemons` exit or `ms` pass. */
async function waitUntil(what: string, ms: number, daemons: Daemon[], ready: () => Promise<boolean>): Promise<void> {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const dead = daemons.find(exited);
    if (dead !== undefined) throw new Error(`${dead.name} exited before ${what}:\n${logTail(dead)}`);
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${ms / 1000} s:\n${daemons.map((d) => `${d.name}: ${logTail(d)}`).join('\n')}`);
}

async function runTool(command: string, args: string[], what: string, options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<string> {
  try {
    return (await execFileAsync(command, args, { ...options, timeout: 120_000, maxBuffer: 16 << 20 })).stdout;
  } catch (error) {
    const failure = error as Error & { stdout?: string; stderr?: string };
    throw new Error(`${what} failed: ${failure.message}\n${failure.stdout ?? ''}${failure.stderr ?? ''}`);
  }
}

/** Running as root, the servers must be told so (they refuse otherwise). */
const asRoot = () => (process.getuid?.() === 0 ? ['--user=root'] : []);

interface Database {
  daemon: Daemon;
  port: number;
  password: string;
}

/** A MariaDB server of its own (standing in for the seed's MySQL 5.7), with the seed's database and user. */
async function startDatabase(programs: Programs, dir: string): Promise<Database> {
  const datadir = join(dir, 'mariadb');
  const socket = join(dir, 'mariadb.sock');
  await runTool(programs.installDb, ['--no-defaults', `--datadir=${datadir}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...asRoot()], 'mariadb-install-db');
  const port = await freePort();
  const daemon = startDaemon('mariadbd', programs.mariadbd, ['--no-defaults', `--datadir=${datadir}`, '--bind-address=127.0.0.1', `--port=${port}`, `--socket=${socket}`, `--pid-file=${join(dir, 'mariadbd.pid')}`, '--skip-name-resolve', ...asRoot()], dir);
  try {
    const sql = (statements: string) => runTool(programs.client, ['--no-defaults', `--socket=${socket}`, '--user=root', '--execute', statements], 'mariadb');
    await waitUntil('MariaDB answered', 60_000, [daemon], async () => (await sql('SELECT 1'), true));
    const password = randomBytes(12).toString('hex');
    await sql(`CREATE DATABASE ${DATABASE}; CREATE USER '${DB_USER}'@'${DB_HOST}' IDENTIFIED BY '${password}'; GRANT ${DB_GRANTS} ON ${DATABASE}.* TO '${DB_USER}'@'${DB_HOST}';`);
    return { daemon, port, password };
  } catch (error) {
    await stopDaemon(daemon);
    throw error;
  }
}

// The app reads its database user from the first /run/secrets/*-user file (Docker's secrets
// mount); this loads it unchanged but for that folder, redirected to SEED000_SECRETS while
// the app is imported and restored after.
const SECRETS_PRELUDE = `
import builtins, os, sys
def import_seed_app(load):
    moved = os.environ['SEED000_SECRETS']
    listdir, open_ = os.listdir, builtins.open
    def redirect(path):
        return moved + path[len('/run/secrets'):] if isinstance(path, str) and path.startswith('/run/secrets') else path
    os.listdir = lambda path='.': listdir(redirect(path))
    builtins.open = lambda file, *args, **kwargs: open_(redirect(file), *args, **kwargs)
    try:
        return load()
    finally:
        os.listdir, builtins.open = listdir, open_
`;

// uWSGI's wsgi-file: app.ini's own (SEED000_WSGI_FILE, run.py) under the prelude.
const WSGI_LAUNCHER = `${SECRETS_PRELUDE}
import runpy
wsgi_file = os.environ['SEED000_WSGI_FILE']
sys.path.insert(0, os.path.dirname(wsgi_file))
app = import_seed_app(lambda: runpy.run_path(wsgi_file)['app'])
`;

// The tables from the app's own models. This stands in for `manager.py db upgrade`: the
// repository commits no migrations, so there is nothing to upgrade from. Flask-Migrate's
// alembic_version table is made too, because the app's table listing removes it by name
// (valid_protocol_names) and fails when it is missing.
const CREATE_TABLES = `${SECRETS_PRELUDE}
sys.path.insert(0, os.getcwd())
seed = import_seed_app(lambda: __import__('app'))
seed.db.create_all()
seed.db.session.execute('CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))')
seed.db.session.commit()
`;

/** app.ini as it is, but for its socket (loopback, a free port), its wsgi-file (the launcher) and where it runs. */
function uwsgiIni(appIni: string, port: number, launcher: string, appDir: string): { ini: string; wsgiFile: string } {
  const setting = (name: string) => appIni.match(new RegExp(`^\\s*${name}\\s*=\\s*(.*?)\\s*$`, 'm'))?.[1];
  const wsgiFile = setting('wsgi-file');
  if (wsgiFile === undefined || setting('socket') === undefined) throw new Error("the seed copy's flask_api/app.ini names no socket or no wsgi-file");
  const ini = appIni.replace(/^\s*socket\s*=.*$/gm, `socket = 127.0.0.1:${port}`).replace(/^\s*wsgi-file\s*=.*$/gm, `wsgi-file = ${launcher}`);
  // chdir: the Docker image runs it from the app's folder; pythonpath: the packages of .venv-seed000.
  return { ini: `${ini.trimEnd()}\nchdir = ${appDir}\npythonpath = ${sitePackages()}\n`, wsgiFile: join(appDir, wsgiFile) };
}

const sitePackages = () => join(VENV, 'lib', readdirSync(join(VENV, 'lib')).find((name) => name.startsWith('python')) ?? 'python3', 'site-packages');

/** nginx.conf's server block as it is, but listening on loopback and passing to uWSGI's loopback socket. */
function nginxServer(seedConf: string, port: number, uwsgiPort: number): string {
  if (!/\blisten\s+[^;]+;/.test(seedConf) || !/\buwsgi_pass\s+[^;]+;/.test(seedConf)) throw new Error("the seed copy's nginx/nginx.conf has no listen or no uwsgi_pass");
  return seedConf.replace(/\blisten\s+[^;]+;/g, `listen 127.0.0.1:${port};`).replace(/\buwsgi_pass\s+[^;]+;/g, `uwsgi_pass 127.0.0.1:${uwsgiPort};`);
}

/** The nginx image's main configuration (the seed's Dockerfile only adds its server), with every path in `dir`. */
function nginxMain(dir: string): string {
  return `worker_processes auto;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')};
daemon off;
events { worker_connections 1024; }
http {
  default_type application/octet-stream;
  access_log ${join(dir, 'nginx-access.log')};
  sendfile on;
  keepalive_timeout 65;
  client_body_temp_path ${join(dir, 'nginx-body')};
  proxy_temp_path ${join(dir, 'nginx-proxy')};
  fastcgi_temp_path ${join(dir, 'nginx-fastcgi')};
  uwsgi_temp_path ${join(dir, 'nginx-uwsgi')};
  scgi_temp_path ${join(dir, 'nginx-scgi')};
  include ${join(dir, 'seed000-server.conf')};
}
`;
}

interface Seed {
  url: string;
  stop(): Promise<void>;
}

/** The seed's three servers, brought up in order under a temporary directory, all on 127.0.0.1. */
async function startSeed(seedDir: string, programs: Programs): Promise<Seed> {
  const python = seedPython();
  const appDir = join(seedDir, 'flask_api');
  const dir = mkdtempSync(join(tmpdir(), 'netingest-seed000-'));
  chmodSync(dir, 0o755); // nginx's workers run as nobody
  const daemons: Daemon[] = [];
  const stop = async () => {
    for (const d of daemons.reverse()) await stopDaemon(d);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const database = await startDatabase(programs, dir);
    daemons.push(database.daemon);
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets);
    writeFileSync(join(secrets, `${DB_USER}-user`), `${DB_USER}=${DB_HOST}=${database.password}\n`, { mode: 0o600 });
    const env = { ...process.env, DATABASE_URL: `127.0.0.1:${database.port}`, DB_PACKETS: DATABASE, SEED000_SECRETS: secrets };
    await runTool(python, ['-c', CREATE_TABLES], 'creating the seed\'s tables', { env, cwd: appDir });

    const uwsgiPort = await freePort();
    const launcher = join(dir, 'seed000_wsgi.py');
    writeFileSync(launcher, WSGI_LAUNCHER);
    const { ini, wsgiFile } = uwsgiIni(readFileSync(join(appDir, 'app.ini'), 'utf8'), uwsgiPort, launcher, appDir);
    writeFileSync(join(dir, 'app.ini'), ini);
    daemons.push(startDaemon('uwsgi', join(VENV, 'bin', 'uwsgi'), ['--ini', join(dir, 'app.ini')], dir, { ...env, SEED000_WSGI_FILE: wsgiFile }));

    const port = await freePort();
    copyFileSync(UWSGI_PARAMS, join(dir, 'uwsgi_params')); // the server's `include uwsgi_params` is relative to the configuration
    writeFileSync(join(dir, 'seed000-server.conf'), nginxServer(readFileSync(join(seedDir, 'nginx', 'nginx.conf'), 'utf8'), port, uwsgiPort));
    writeFileSync(join(dir, 'nginx.conf'), nginxMain(dir));
    daemons.push(startDaemon('nginx', programs.nginx, ['-p', `${dir}/`, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'nginx-error.log')], dir));

    const url = `http://127.0.0.1:${port}`;
    await waitUntil('GET /packets through nginx answered 200', 60_000, daemons, async () => (await fetch(`${url}/packets`).then(async (r) => (await r.arrayBuffer(), r.status))) === 200);
    return { url, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------

export async function seedPacketsRows(endpoints: Endpoints, key: string, runs: number): Promise<string[]> {
  const dir = process.env.SEED000_DIR;
  if (dir === undefined || !existsSync(join(dir, 'flask_api', 'app.ini')) || !existsSync(join(dir, 'nginx', 'nginx.conf'))) {
    return [notRun('SEED000_DIR names no copy of its code (a folder with flask_api/app.ini and nginx/nginx.conf)')];
  }
  const programs = findPrograms();
  if ('missing' in programs) return [notRun(`${programs.missing.join(', ')} not installed (Debian: apt-get install mariadb-server nginx)`)];
  const seed = await startSeed(resolve(dir), programs);
  try {
    const runtime = await startLocalRuntime({ endpoints, port: 0, stage: 'benchseedpackets', schedules: false, pollerConcurrency: POLLERS, env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true' }, log: () => {} });
    try {
      const netingest: Target = { name: 'netingest', counts: () => countsAt(`${runtime.url}/packets/tables/all`, { 'x-api-key': key }), perPacketTables: [] };
      const theSeed: Target = { name: 'seed 000', counts: () => countsAt(`${seed.url}/packets/tables/all`), perPacketTables: ['Packet'] };
      const late = { netingest: [] as number[], seed: [] as number[] };
      /** A run's packets/s; its late answers go to `lateOf` when given. */
      const rateOf = async (run: Promise<RunResult>, lateOf?: number[]) => {
        const result = await run;
        lateOf?.push(result.late);
        return result.rate;
      };
      // The sniffer can carry a key only in its URL, which it sends as Basic.
      const oursOnePerPost = (count: number, lateOf?: number[]) => rateOf(exactRun(count, 1, () => snifferSender(`${runtime.url}/packets`, `sniffer:${key}`), netingest), lateOf);
      const oursBatched = () => rateOf(exactRun(PACKETS, BATCH, async () => batchSender(`${runtime.url}/packets`, key), netingest));
      const theirs = (count: number, lateOf?: number[]) => rateOf(exactRun(count, 1, () => snifferSender(`${seed.url}/packets`), theSeed), lateOf);
      // Warm-up, each side the same way: netingest's handlers and DynamoDB Local's JVM
      // compiled and SDK pools filled, the seed's workers connected and MariaDB's pages read.
      const coldOurs = await settle('netingest', (n) => oursOnePerPost(n));
      const coldTheirs = await settle('seed 000', (n) => theirs(n));
      const [single, seedSingle] = await sideBySide(runs, () => oursOnePerPost(PACKETS, late.netingest), () => theirs(PACKETS, late.seed));
      const [batched, seedBatched] = await sideBySide(runs, oursBatched, () => theirs(PACKETS, late.seed));
      return [
        row(`${PACKETS.toLocaleString('en-US')} packets at one per POST from ${CLIENTS} clients (the sniffer's requests)`, single, seedSingle, TARGET_ONE_PER_POST),
        `| 12 seed 000 | the first ${WARM_UP_ROUND.toLocaleString('en-US')} packets at one per POST after start (warm-up rounds followed until a round's rate was within ${WARM_UP_SETTLED * 100}% of the last; not a goal), packets/s | ${Math.round(coldOurs.first)} (${coldOurs.rounds} rounds, last ${Math.round(coldOurs.last)}) | ${Math.round(coldTheirs.first)} (${coldTheirs.rounds} rounds, last ${Math.round(coldTheirs.last)}) seed 000 | ${(coldOurs.first / coldTheirs.first).toFixed(2)} | | |`,
        `| 12 seed 000 | POSTs of one packet answered after the sniffer's 1 s timeout (the real client would have kept those packets to its local files), per run | ${late.netingest.join(', ')} | ${late.seed.join(', ')} seed 000 (its runs beside both rows) | | | |`,
        row(`the same ${PACKETS.toLocaleString('en-US')} packets to netingest in POSTs of ${BATCH} from ${CLIENTS} clients, the seed at one per POST (it has no batch form)`, batched, seedBatched, TARGET_BATCHED),
      ];
    } finally {
      await runtime.stop();
    }
  } finally {
    await seed.stop();
  }
}

/** Warm-up rounds of one per POST until the rate settles: the first round's rate, the last's, and how many rounds. */
async function settle(name: string, round: (packets: number) => Promise<number>): Promise<WarmUp> {
  const warmUp = await warmUntilSettled(() => round(WARM_UP_ROUND), { within: WARM_UP_SETTLED, minRounds: WARM_UP_MIN_ROUNDS, maxRounds: WARM_UP_MAX_ROUNDS });
  process.stderr.write(`seed 000: ${name} warmed up in ${warmUp.rounds} rounds of ${WARM_UP_ROUND} packets: ${Math.round(warmUp.first)} -> ${Math.round(warmUp.last)} packets/s\n`);
  return warmUp;
}

function row(workload: string, ours: number[], theirs: number[], target: number): string {
  const [m, b] = [measure(ours), measure(theirs)];
  const ratio = m.median / b.median;
  return `| 12 seed 000 | ${workload}, POST -> exact in GET /packets/tables/all, packets/s (netingest: ${POLLERS} pollers per queue; counts read by 1 poller every ${POLL_MS} ms) | ${show(m)} | ${show(b)} seed 000 (Flask-RESTful, MariaDB for its MySQL, uWSGI 2 processes x 2 threads, nginx) | ${ratio.toFixed(2)} | >= ${target}x | ${ratio >= target ? 'met' : '**missed**'} |`;
}

if (isEntryPoint(import.meta.url)) await runSectionAlone((endpoints) => seedPacketsRows(endpoints, 'bench-key', Number(process.env.BENCH_RUNS ?? 3)));
