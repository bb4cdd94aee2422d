// The least the live broadcaster can be: one DynamoDB call, with the client that posts to
// WebSocket connections imported too, made on first push as the broadcaster makes it: its
// cold-start baseline.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';

const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
let connections: ApiGatewayManagementApiClient | undefined;
export const connectionsClient = (endpoint: string) => (connections ??= new ApiGatewayManagementApiClient({ endpoint }));

export const handler = async () => {
  await db.send(new GetCommand({ TableName: process.env.DEVICES_TABLE, Key: { pk: 'x', sk: 'y' } }));
  return { statusCode: 200 };
};
