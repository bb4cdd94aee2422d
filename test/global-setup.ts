import type { TestProject } from 'vitest/node';
import { buildDashboard } from '../dashboard/build.ts';
import { startEmulators, type Endpoints } from '../infra/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: Endpoints;
  }
}

/** One DynamoDB Local and one fauxqs for the whole run; each test file uses its own stage. */
export default async function setup(project: TestProject) {
  // Built once before any file runs: packaging (template tests) and the dashboard test would
  // otherwise both build it at once into the same folder.
  await buildDashboard({ ifMissing: true });
  const emulators = await startEmulators();
  project.provide('endpoints', emulators.endpoints);
  return async () => {
    await emulators.stop();
  };
}
