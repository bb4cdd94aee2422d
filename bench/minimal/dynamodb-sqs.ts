// The least a writer can be: one DynamoDB call, with the SQS client it dead-letters with
// imported too, made on first use as the writers make it: their cold-start baseline.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
let sqs: SQSClient | undefined;
export const sqsClient = (): SQSClient => (sqs ??= new SQSClient({}));

export const handler = async () => {
  await db.send(new GetCommand({ TableName: process.env.DEVICES_TABLE, Key: { pk: 'x', sk: 'y' } }));
  return { statusCode: 200 };
};
