// The least an ingest function can be: one SQS call, with the DynamoDB client it claims
// Idempotency-Keys with imported too, made on first use as ingest makes it: its cold-start baseline.
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

const sqs = new SQSClient({});
let db: DynamoDBDocumentClient | undefined;
export const documentClient = (): DynamoDBDocumentClient => (db ??= DynamoDBDocumentClient.from(new DynamoDBClient({})));

export const handler = async () => {
  await sqs.send(new SendMessageCommand({ QueueUrl: process.env.PACKETS_QUEUE_URL, MessageBody: '{}' }));
  return { statusCode: 202 };
};
