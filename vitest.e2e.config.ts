import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: only the end-to-end suite, against the target E2E_TARGET names.
export default defineConfig({
  test: {
    include: ['test/e2e-suite/**/*.test.ts'],
    globalSetup: process.env.E2E_TARGET && process.env.E2E_TARGET !== 'embedded' ? [] : ['test/global-setup.ts'],
    pool: 'forks',
    // The schedule's file waits minutes on a deployment: the other files run beside it.
    maxWorkers: 2,
    testTimeout: 300_000,
    hookTimeout: 180_000,
  },
});
