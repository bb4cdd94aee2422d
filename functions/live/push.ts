import { ApiGatewayManagementApiClient, GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { connectionsEndpoint } from './config.ts';
import { withoutSdkLogging } from '../shared/sdk-logging.ts';

let client: ApiGatewayManagementApiClient | undefined;

/**
 * Sends one message to one connection through the @connections management API. The
 * endpoint is the WebSocket API's own (its URL with https://), from the environment, so the
 * local runtime's emulated API is reached with the same client. Answers false when the
 * connection is gone (API Gateway's 410).
 */
export async function postToConnection(connectionId: string, message: string): Promise<boolean> {
  client ??= withoutSdkLogging(new ApiGatewayManagementApiClient({ endpoint: connectionsEndpoint() }));
  try {
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(message, 'utf8') }));
    return true;
  } catch (error) {
    if (error instanceof GoneException || (error as Error).name === 'GoneException') return false;
    throw error;
  }
}
