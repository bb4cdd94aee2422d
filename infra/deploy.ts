// `npm run deploy -- --stage <stage>`       deploy to AWS (your usual AWS credentials)
// `npm run deploy:local`                    deploy to LocalStack, stage `local`
// `npm run remove -- --stage <stage>` / `npm run remove:local`   tear down
// `--api rest`: the routes behind a REST API (stage parameter apiType: rest) and without the
//   live channel, as LocalStack's free plan can run them (it has no API Gateway v2).
//
// LocalStack is reached through AWS_ENDPOINT_URL rather than the serverless-localstack
// plugin: osls talks to AWS through SDK v3 clients, which honour AWS_ENDPOINT_URL for
// every service, so the very same commands deploy to either. Default endpoint:
// http://127.0.0.1:4566 (localhost.localstack.cloud needs DNS, which may be offline; the
// SDK addresses S3 buckets by path on an IP address). The same works for MiniStack
// (the compose file's `ministack` profile); `npm run test:deploy` needs no Docker.
import { parseArgs } from 'node:util';
import { runOsls } from './osls.ts';
import { applyWorkarounds } from './emulator/workarounds.ts';
import { stackOutputs, storeApiKey } from './stack.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    stage: { type: 'string' },
    region: { type: 'string', default: process.env.AWS_REGION ?? 'us-east-1' },
    local: { type: 'boolean', default: false },
    api: { type: 'string', default: 'http' },
  },
});
if (values.api !== 'http' && values.api !== 'rest') {
  console.error('--api is http (the default) or rest');
  process.exit(2);
}
const apiParams = values.api === 'rest' ? ['--param', 'apiType=rest', '--param', 'live=off'] : [];
const [action, ...unexpected] = positionals;
// Anything else is a mistake, not a deploy.
if ((action !== 'deploy' && action !== 'remove') || unexpected.length > 0) {
  console.error('usage: node infra/deploy.ts deploy|remove [--stage <stage> | --local] [--api http|rest]   (npm run deploy, deploy:local, remove, remove:local)');
  process.exit(2);
}
const local = values.local;
const stage = values.stage ?? (local ? 'local' : undefined);
if (stage === undefined) {
  console.error(`usage: npm run ${action} -- --stage <stage>   (or npm run ${action}:local)`);
  process.exit(2);
}
const env: NodeJS.ProcessEnv = { ...process.env, AWS_REGION: values.region, SLS_TELEMETRY_DISABLED: '1' };
if (local) {
  env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:4566';
  env.AWS_ACCESS_KEY_ID ??= 'test';
  env.AWS_SECRET_ACCESS_KEY ??= 'test';
}

function osls(...args: string[]): void {
  const status = runOsls([...args, '--stage', stage as string, '--region', values.region as string], env);
  if (status !== 0) process.exit(status);
}

// MiniStack (the compose file's `ministack` profile) answers its own health path; its
// defects are worked around in one place, as npm run test:deploy does.
const endpoint = env.AWS_ENDPOINT_URL as string;
const ministack = local && action === 'deploy' && (await fetch(`${endpoint}/_ministack/health`).then((r) => r.ok, () => false));
// Without the live channel there: the profile runs its Lambdas in containers, which reach
// MiniStack by another address than this one, and the channel's URLs would need it (npm
// run test:deploy runs the channel on MiniStack without Docker). The dashboard polls.
const ministackParams = ministack && !apiParams.includes('live=off') ? ['--param', 'live=off'] : [];
const deployParams = [...apiParams, ...ministackParams];
osls(action, ...(action === 'deploy' ? deployParams : []));
if (action === 'deploy') {
  if (local) {
    if (ministack) {
      const outputs = await stackOutputs(stage, env);
      for (const line of await applyWorkarounds({ endpoint, stage, region: values.region as string, outputs })) console.log(line);
    }
    // The emulator starts empty: give it an API key, stored as the authorizer expects (a hash).
    const key = await storeApiKey(stage, process.env.API_KEY, env);
    const target = ministack ? 'emulator' : 'local';
    console.log(`API key for stage ${stage}: ${key}   (npm run test:e2e -- --target ${target} --stage ${stage} reads it from API_KEY)`);
  }
  osls('info', '--verbose', ...deployParams);
}
