// `npm run test:e2e -- --target <embedded|emulator|local|aws> [--stage <stage>] [--report <file.json>]`:
// the end-to-end suite against the embedded runtime (started here), MiniStack, LocalStack
// or AWS. For the deployed targets the API URL comes from API_URL or the stack's outputs,
// the key from API_KEY. `npm run test:deploy` runs it with --target emulator.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { EMULATOR_DEFAULTS, deployedApiUrl } from './emulator/ministack.ts';
import { stackOutputs } from './stack.ts';

const TARGETS = ['embedded', 'emulator', 'local', 'aws'];
const { values } = parseArgs({ options: { target: { type: 'string', default: 'embedded' }, stage: { type: 'string' }, report: { type: 'string' } } });
const target = values.target as string;
if (!TARGETS.includes(target)) {
  console.error('usage: npm run test:e2e -- --target <embedded|emulator|local|aws> [--stage <stage>] [--report <file.json>]');
  process.exit(2);
}
const env: NodeJS.ProcessEnv = { ...process.env, E2E_TARGET: target };
if (target === 'local') {
  env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
  env.AWS_REGION ??= 'us-east-1';
}
if (target === 'emulator') {
  env.AWS_ENDPOINT_URL ??= EMULATOR_DEFAULTS.endpoint;
  env.AWS_ACCESS_KEY_ID ??= EMULATOR_DEFAULTS.accessKeyId;
  env.AWS_SECRET_ACCESS_KEY ??= EMULATOR_DEFAULTS.secretAccessKey;
  env.AWS_REGION ??= EMULATOR_DEFAULTS.region;
}
if (target !== 'embedded' && !env.API_URL) {
  const stage = values.stage ?? ({ emulator: EMULATOR_DEFAULTS.stage, local: 'local' } as Record<string, string>)[target] ?? 'dev';
  const outputs = await stackOutputs(stage, env);
  // MiniStack serves an API on its path-style execute-api URL; the outputs name AWS's host.
  const url = target === 'emulator' ? deployedApiUrl(env.AWS_ENDPOINT_URL as string, outputs) : (outputs.HttpApiUrl ?? outputs.ServiceEndpoint);
  if (url === undefined) {
    console.error(`stack netingest-${stage} has neither an HttpApiUrl nor a ServiceEndpoint output; set API_URL`);
    process.exit(1);
  }
  env.API_URL = url;
}
if (target !== 'embedded' && !env.API_KEY) {
  console.error('set API_KEY to a key with the ingest and read scopes (npm run deploy:local prints one)');
  process.exit(1);
}
const reporters = values.report ? ['--reporter=default', '--reporter=json', `--outputFile.json=${values.report}`] : [];
const result = spawnSync('vitest', ['run', '--config', 'vitest.e2e.config.ts', ...reporters], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
