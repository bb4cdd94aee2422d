// `npm run migrate:packet-counts -- [--stage <stage>]`: moves the packet counts a stack
// stored before one counts item per shard (an item per protocol and shard) into those
// items, exactly once; run it after deploying this version over an older one. Running it
// again, or on a stack that never had the old layout, moves nothing. Locally it finds the
// running `npm start` through DATA_DIR/runtime.json; elsewhere it uses the SDK's usual
// configuration (AWS_ENDPOINT_URL for LocalStack, or AWS itself).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { moveLegacyCounts } from '../functions/packets/legacy-counts.ts';

const { values } = parseArgs({ options: { stage: { type: 'string' } } });
const local = readLocalRuntime();
if (local !== undefined && !process.env.AWS_ENDPOINT_URL) {
  process.env.AWS_ENDPOINT_URL_DYNAMODB ??= local.endpoints.dynamodb;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
const table = `netingest-${values.stage ?? local?.stage ?? 'dev'}-packet-counts`;
try {
  const moved = await moveLegacyCounts(table);
  console.log(`moved ${moved} count(s) of the old layout into ${table}'s shard items`);
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
}

function readLocalRuntime(): { stage: string; endpoints: { dynamodb: string } } | undefined {
  const dataDir = process.env.DATA_DIR && process.env.DATA_DIR !== ':memory:' ? process.env.DATA_DIR : '.data';
  try {
    return JSON.parse(readFileSync(resolve(dataDir, 'runtime.json'), 'utf8'));
  } catch {
    return undefined;
  }
}
