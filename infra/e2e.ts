// `npm run test:e2e -- --target <embedded|local|aws> [--stage <stage>]`: the end-to-end suite
// against the embedded runtime (started here), LocalStack or AWS. For local and aws the
// API URL comes from API_URL or the stack's HttpApiUrl output, the key from API_KEY.
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

const { values } = parseArgs({ options: { target: { type: 'string', default: 'embedded' }, stage: { type: 'string' } } });
const target = values.target as string;
if (!['embedded', 'local', 'aws'].includes(target)) {
  console.error('usage: npm run test:e2e -- --target <embedded|local|aws> [--stage <stage>]');
  process.exit(2);
}
const env: NodeJS.ProcessEnv = { ...process.env, E2E_TARGET: target };
if (target === 'local') {
  env.AWS_ENDPOINT_URL ??= 'http://localhost.localstack.cloud:4566';
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
  env.AWS_REGION ??= 'us-east-1';
}
if (target !== 'embedded' && !env.API_URL) {
  const stage = values.stage ?? (target === 'local' ? 'local' : 'dev');
  Object.assign(process.env, env);
  const { Stacks } = await new CloudFormationClient({}).send(new DescribeStacksCommand({ StackName: `netingest-${stage}` }));
  const url = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === 'HttpApiUrl')?.OutputValue;
  if (url === undefined) {
    console.error(`stack netingest-${stage} has no HttpApiUrl output; set API_URL`);
    process.exit(1);
  }
  env.API_URL = url;
}
if (target !== 'embedded' && !env.API_KEY) {
  console.error('set API_KEY to a key with the ingest and read scopes (npm run deploy:local prints one)');
  process.exit(1);
}
const result = spawnSync('vitest', ['run', '--config', 'vitest.e2e.config.ts'], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
