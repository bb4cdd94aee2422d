import { SQSClient } from '@aws-sdk/client-sqs';

// Created on first use: the endpoint comes from the environment (AWS_ENDPOINT_URL_SQS),
// which the local runtime sets before the first call.
let sqs: SQSClient | undefined;

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}
