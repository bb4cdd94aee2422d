import { Worker } from 'node:worker_threads';

/** fauxqs as the local runtime runs it: on a thread of its own, so that it does not take turns with the handlers. */
export interface FauxqsInWorker {
  port: number;
  stop(): Promise<void>;
}

/** What the thread posts once it listens, or why it could not. */
export type FauxqsThreadStarted = { port: number } | { error: string };

/** How long stop() waits for fauxqs to close before it ends the thread. */
const STOP_WAIT_MS = 5_000;

/**
 * Starts fauxqs in a worker thread (fauxqs-thread.ts). In this process's thread it handled
 * every SQS request between the gateway's and the handlers' turns: a third of the local
 * runtime's time at one packet per POST, on a core of its own now. Once it listens, an error
 * that ends the thread, or its end before stop(), is thrown in this process as it was when
 * fauxqs ran here: every queue would be gone, and the runtime must not go on without them.
 */
export async function startFauxqsInWorker(dataDir: string | undefined): Promise<FauxqsInWorker> {
  const worker = new Worker(new URL('./fauxqs-thread.ts', import.meta.url), { workerData: { dataDir } });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const started = await new Promise<FauxqsThreadStarted>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    void exited.then(() => reject(new Error('the fauxqs thread exited before it listened')));
  });
  if ('error' in started) {
    await worker.terminate();
    throw new Error(started.error);
  }
  let stopping = false;
  worker.on('error', (error: unknown) => {
    const failure = `fauxqs (the SQS emulator) failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
    if (!stopping) throw new Error(failure);
    process.stderr.write(`${failure}\n`);
  });
  void exited.then(() => {
    if (!stopping) throw new Error('fauxqs (the SQS emulator) stopped while the local runtime was running');
  });
  return {
    port: started.port,
    async stop() {
      stopping = true;
      worker.postMessage('stop');
      const timer = setTimeout(() => void worker.terminate(), STOP_WAIT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
