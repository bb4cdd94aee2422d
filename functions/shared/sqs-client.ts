import { SQSClient } from '@aws-sdk/client-sqs';
import { meterSqs } from './usage-meter.ts';
import { withoutSdkLogging } from './sdk-logging.ts';

// Created on first use: the endpoint comes from the environment (AWS_ENDPOINT_URL_SQS),
// which the local runtime sets before the first call.
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  if (sqs === undefined) {
    sqs = withoutSdkLogging(new SQSClient({}));
    meterSqs(sqs);
  }
  return sqs;
}
