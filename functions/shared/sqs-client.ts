import { SQSClient } from '@aws-sdk/client-sqs';
import { meterSqs } from './usage-meter.ts';
import { withoutSdkLogging } from './sdk-logging.ts';

// Created on first use: the endpoint comes from the environment (AWS_ENDPOINT_URL_SQS),
// which the local runtime sets before the first call. The middleware stack is built once per
// command type and reused (cacheMiddleware): ingest sends one batch per request, and
// building the stack again for each was about a seventh of a send's CPU.
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  if (sqs === undefined) {
    sqs = withoutSdkLogging(new SQSClient({ cacheMiddleware: true }));
    meterSqs(sqs);
  }
  return sqs;
}
