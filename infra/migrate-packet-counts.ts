// `npm run migrate:packet-counts -- [--stage <stage>]`: moves the packet counts a stack
// stored before one counts item per shard (an item per protocol and shard) into those
// items, exactly once; run it after deploying this version over an older one. Running it
// again, or on a stack that never had the old layout, moves nothing. Locally it finds the
// running `npm start` through DATA_DIR/runtime.json; elsewhere it uses the SDK's usual
// configuration (AWS_ENDPOINT_URL for LocalStack, or AWS itself).
import { parseArgs } from 'node:util';
import { moveLegacyCounts } from '../functions/packets/legacy-counts.ts';
import { useRunningRuntime } from './local/running-runtime.ts';

const { values } = parseArgs({ options: { stage: { type: 'string' } } });
const local = useRunningRuntime();
const table = `netingest-${values.stage ?? local?.stage ?? 'dev'}-packet-counts`;
try {
  const moved = await moveLegacyCounts(table);
  console.log(`moved ${moved} count(s) of the old layout into ${table}'s shard items`);
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}
