// `npm run redrive -- <queue> [--stage <stage>] [--max <n>]`: moves the messages of a
// queue's DLQ back onto the queue, e.g. `npm run redrive -- packets`. Locally it finds the
// running `npm start` through DATA_DIR/runtime.json; elsewhere it uses the SDK's usual
// configuration (AWS_ENDPOINT_URL for LocalStack, or AWS itself).
import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MAX_REDRIVE_AGE_MS, redriveQueue } from './local/redrive-queue.ts';
import { useRunningRuntime } from './local/running-runtime.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { stage: { type: 'string' }, max: { type: 'string', default: '100000' } },
});
const queue = positionals[0];
if (queue === undefined) {
  console.error('usage: npm run redrive -- <queue> [--stage <stage>] [--max <n>]   (queue: packets, flows, ...)');
  process.exit(2);
}

const local = useRunningRuntime();
const stage = values.stage ?? local?.stage ?? 'dev';
const name = queue.startsWith('netingest-') ? queue : `netingest-${stage}-${queue}`;
const sqs = new SQSClient({});
try {
  const url = await queueUrl(sqs, name);
  const dlqUrl = await queueUrl(sqs, `${name}-dlq`);
  const { moved, tooOld } = await redriveQueue(sqs, dlqUrl, url, Number(values.max));
  console.log(`moved ${moved} message(s) from ${name}-dlq back to ${name}`);
  if (tooOld > 0) {
    console.log(`left ${tooOld} message(s) received over ${MAX_REDRIVE_AGE_MS / 86_400_000} days ago in ${name}-dlq: their exactly-once markers may have expired, so what of them was stored could be counted again`);
  }
} catch (error) {
  console.error(`redrive failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  sqs.destroy();
}

async function queueUrl(client: SQSClient, queueName: string): Promise<string> {
  const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: queueName }));
  const endpoint = process.env.AWS_ENDPOINT_URL_SQS ?? process.env.AWS_ENDPOINT_URL;
  // Emulators answer with hostnames that need not resolve; address the queue on the endpoint.
  return endpoint === undefined ? (QueueUrl as string) : new URL(new URL(QueueUrl as string).pathname, endpoint).href;
}
