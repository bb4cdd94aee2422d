// Waits (at most WAIT_SECONDS, default 120) until LocalStack reports every service we use.
const endpoint = process.env.AWS_ENDPOINT_URL ?? 'http://localhost.localstack.cloud:4566';
const needed = ['lambda', 'sqs', 'dynamodb', 'apigateway', 'events', 'iam', 'sts', 'cloudformation', 's3', 'logs', 'ssm'];
const deadline = Date.now() + Number(process.env.WAIT_SECONDS ?? 120) * 1000;
let last = 'no answer yet';
while (Date.now() < deadline) {
  try {
    const response = await fetch(`${endpoint}/_localstack/health`);
    const { services = {} } = (await response.json()) as { services?: Record<string, string> };
    const missing = needed.filter((s) => !['available', 'running'].includes(services[s] ?? ''));
    if (missing.length === 0) {
      console.log(`LocalStack is ready at ${endpoint}`);
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
