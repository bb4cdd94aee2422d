import type { TestProject } from 'vitest/node';
import { startEmulators, type Endpoints } from '../infra/local/emulators.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    endpoints: Endpoints;
  }
}

/** One DynamoDB Local and one fauxqs for the whole run; each test file uses its own stage. */
export default async function setup(project: TestProject) {
  const emulators = await startEmulators();
  project.provide('endpoints', emulators.endpoints);
  return async () => {
    await emulators.stop();
  };
}
