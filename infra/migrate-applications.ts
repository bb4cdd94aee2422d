// `npm run migrate:applications -- [--stage <stage>]`: counts and indexes the Netify
// applications a stack stored before device views read them through the applications index
// and a count (functions/devices/legacy-applications.ts), each exactly once; run it after
// deploying this version over an older one. Running it again, or on a stack that never had
// uncounted applications, counts nothing. Locally it finds the running `npm start` through
// DATA_DIR/runtime.json; elsewhere it uses the SDK's usual configuration.
import { parseArgs } from 'node:util';
import { countLegacyApplications } from '../functions/devices/legacy-applications.ts';
import { useRunningRuntime } from './local/running-runtime.ts';

const { values } = parseArgs({ options: { stage: { type: 'string' } } });
const local = useRunningRuntime();
const table = `netingest-${values.stage ?? local?.stage ?? 'dev'}-devices`;
try {
  const counted = await countLegacyApplications(table);
  console.log(`counted and indexed ${counted} application(s) of ${table}`);
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
