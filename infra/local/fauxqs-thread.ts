// The body of the thread startFauxqsInWorker (fauxqs-worker.ts) runs: fauxqs on 127.0.0.1,
// stopped when the thread is asked to.
import { Server as NetServer } from 'node:net';
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';
import { startFauxqs, type FauxqsServer } from 'fauxqs';
import type { FauxqsThreadStarted } from './fauxqs-worker.ts';

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

const port = parentPort;
if (port === null) throw new Error('fauxqs-thread.ts runs as a worker thread (startFauxqsInWorker)');
const { dataDir } = workerData as { dataDir: string | undefined };
try {
  const fauxqs = await startFauxqsOnLoopback(dataDir);
  port.once('message', () => {
    void fauxqs.stop().finally(() => port.close());
  });
  port.postMessage({ port: fauxqs.port } satisfies FauxqsThreadStarted);
} catch (error) {
  port.postMessage({ error: (error as Error).stack ?? String(error) } satisfies FauxqsThreadStarted);
}
