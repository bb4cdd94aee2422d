// The least the WebSocket $connect route can be: one DynamoDB call, with the Secrets Manager
// client it reads the token secret with when deployed imported but not called (see secretsmanager.ts).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
let client: SecretsManagerClient | undefined;
export const secretsClient = (): SecretsManagerClient => (client ??= new SecretsManagerClient({}));

export const handler = async () => {
  await db.send(new PutCommand({ TableName: process.env.LIVE_CONNECTIONS_TABLE, Item: { pk: 'connection', sk: `bench-${Date.now()}` } }));
  return { statusCode: 200 };
};
