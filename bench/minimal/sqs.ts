// The least an ingest function can be: one SQS call, the cold-start baseline for ingest.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const sqs = new SQSClient({});

export const handler = async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.PACKETS_QUEUE_URL, MessageBody: '{}' }));
  return { statusCode: 202 };
};
