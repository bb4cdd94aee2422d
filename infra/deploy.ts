// `npm run deploy -- --stage <stage>`       deploy to AWS (your usual AWS credentials)
// `npm run deploy:local`                    deploy to LocalStack, stage `local`
// `npm run remove -- --stage <stage>` / `npm run remove:local`   tear down
//
// LocalStack is reached through AWS_ENDPOINT_URL rather than the serverless-localstack
// plugin: osls talks to AWS through SDK v3 clients, which honour AWS_ENDPOINT_URL for
// every service, so the very same commands deploy to either. Default endpoint:
// http://localhost.localstack.cloud:4566 (that name resolves to 127.0.0.1 and lets S3
// use virtual-hosted buckets).
import { randomBytes, createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { runOsls } from './osls.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { stage: { type: 'string' }, region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' }, local: { type: 'boolean', default: false } },
});
const action = positionals[0] === 'remove' ? 'remove' : 'deploy';
const local = values.local;
const stage = values.stage ?? (local ? 'local' : undefined);
if (stage === undefined) {
  console.error(`usage: npm run ${action} -- --stage <stage>   (or npm run ${action}:local)`);
  process.exit(2);
}
const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: values.region, SLS_TELEMETRY_DISABLED: '1' };
if (local) {
  env.AWS_ENDPOINT_URL ??= 'http://localhost.localstack.cloud:4566';
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
}

function osls(...args: string[]): void {
  const status = runOsls([...args, '--stage', stage as string, '--region', values.region as string], env);
  if (status !== 0) process.exit(status);
}

osls(action);
if (action === 'deploy') {
  if (local) {
    // LocalStack starts empty: give it an API key, stored as the authorizer expects (a hash).
    const key = process.env.API_KEY ?? randomBytes(18).toString('base64url');
    const hash = createHash('sha256').update(key).digest('hex');
    Object.assign(process.env, env);
    await new SSMClient({}).send(
      new PutParameterCommand({ Name: `/netingest/${stage}/api-keys`, Type: 'SecureString', Value: `${hash}=ingest+read`, Overwrite: true }),
    );
    console.log(`API key for stage ${stage}: ${key}   (npm run test:e2e -- --target local reads it from API_KEY)`);
  }
  osls('info', '--verbose');
}
