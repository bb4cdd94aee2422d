// Waits (at most WAIT_SECONDS, default 120) until LocalStack (or MiniStack, the compose
// file's `ministack` profile) reports every service we use. Fails at once, with the reason,
// on a LocalStack without the HTTP API: its free edition lacks API Gateway v2, and a deploy
// there would "succeed" with an API that serves nothing. `--api rest` waits for a stack
// behind a REST API (apiType: rest), which the free edition runs.
const restApi = process.argv.slice(2).join(' ') === '--api rest';
const endpoint = process.env.AWS_ENDPOINT_URL ?? 'http://127.0.0.1:4566';
const needed = ['lambda', 'sqs', 'dynamodb', 'apigateway', 'events', 'iam', 'sts', 'cloudformation', 's3', 'logs', 'ssm'];
const deadline = Date.now() + Number(process.env.WAIT_SECONDS ?? 120) * 1000;
let last = 'no answer yet';
while (Date.now() < deadline) {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`);
    const { services = {}, edition, version } = (await response.json()) as { services?: Record<string, string>; edition?: string; version?: string };
    const ministack = (await fetch(`${endpoint}/_ministack/health`).then((r) => r.ok, () => false)) as boolean;
    const missing = needed.filter((s) => !['available', 'running'].includes(services[s] ?? ''));
    if (missing.length === 0) {
      if (!ministack && !restApi && !['available', 'running'].includes(services.apigatewayv2 ?? '')) {
        console.error(
          `LocalStack ${version ?? ''} (${edition ?? 'unknown edition'}) at ${endpoint} has no HTTP API (apigatewayv2: ${services.apigatewayv2 ?? 'absent'}): ` +
            'it needs LOCALSTACK_AUTH_TOKEN. Without one, deploy behind a REST API (npm run deploy:local -- --api rest), use the compose file\'s ministack profile, or npm run test:deploy (no Docker).',
        );
        process.exit(1);
      }
      console.log(`${ministack ? 'MiniStack' : 'LocalStack'} is ready at ${endpoint}`);
      process.exit(0);
    }
    last = `waiting for ${missing.join(', ')}`;
  } catch (error) {
    last = (error as Error).message;
  }
  await new Promise((r) => setTimeout(r, 2_000));
}
console.error(`LocalStack at ${endpoint} did not become ready: ${last}`);
process.exit(1);
