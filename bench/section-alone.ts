// What bench/run.ts and a section run on its own (`node bench/<section>.ts`) share: the
// results table's header, and running one section against emulators of its own.
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { startEmulators, type Endpoints } from '../infra/local/emulators.ts';
import { startLocalRuntime, type LocalRuntime } from '../infra/local/runtime.ts';

export const TABLE_HEADER = ['| section | what | value | baseline | ratio | target | |', '| --- | --- | --- | --- | --- | --- | --- |'];

/** Whether the module at `moduleUrl` is the script node was started with. */
export const isEntryPoint = (moduleUrl: string): boolean => process.argv[1] !== undefined && moduleUrl === pathToFileURL(realpathSync(process.argv[1])).href;

/** Runs one section on fresh emulators and prints its rows under the table's header. */
export async function runSectionAlone(rowsOf: (endpoints: Endpoints) => Promise<string[]>): Promise<void> {
  const emulators = await startEmulators();
  try {
    console.log([...TABLE_HEADER, ...(await rowsOf(emulators.endpoints))].join('\n'));
  } finally {
    await emulators.stop();
  }
}

/**
 * The tables and queues of stage benchlive, for functions timed in processes of their own
 * (sections 5 and 7), with nothing polling them: pollers would take up what those functions
 * send and write while they are timed.
 */
export function startQuietRuntime(endpoints: Endpoints): Promise<LocalRuntime> {
  return startLocalRuntime({ endpoints, port: 0, stage: 'benchlive', schedules: false, sqsEventSources: false, streamEventSources: false, log: () => {} });
}
