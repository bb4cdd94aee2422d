import type { APIGatewayProxyResultV2, APIGatewayProxyWebsocketEventV2 } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { logger } from '../shared/observability.ts';
import { connectionsTable } from './config.ts';
import { SECRET_RECHECK_MS, tokenSecret } from './token-secret.ts';
import { addConnection, removeConnection } from './connections.ts';
import { BAD_SIGNATURE, verifyToken } from './token.ts';

/** $connect also carries the handshake's query string and headers. */
export type WebsocketEvent = APIGatewayProxyWebsocketEventV2 & {
  queryStringParameters?: Record<string, string | undefined>;
  headers?: Record<string, string | undefined>;
};

/**
 * The WebSocket API's routes. $connect checks the token that GET /live issued (a browser
 * cannot send an API key on a WebSocket handshake) and refuses the handshake without a
 * valid one: 401 when it is missing, 403 when it is bad or expired. A connection it
 * accepts is recorded, and that record's stream event makes the broadcaster send the
 * device array to it. $disconnect forgets it; $default ignores what clients send, as the
 * channel is one-way.
 */
export const handler = lambdaHandler(async (event: WebsocketEvent): Promise<APIGatewayProxyResultV2> => {
  const { routeKey, connectionId } = event.requestContext;
  switch (routeKey) {
    case '$connect': {
      const token = event.queryStringParameters?.token;
      // No secret is read for a handshake without a token.
      let check = token === undefined || token === '' ? verifyToken('', token) : verifyToken(await tokenSecret(), token);
      // After a rotation the copy in hand may be the old secret: read it again, at most once a minute.
      if (!check.valid && check.reason === BAD_SIGNATURE) check = verifyToken(await tokenSecret(Date.now(), SECRET_RECHECK_MS), token);
      if (!check.valid) {
        logger.info('connection refused', { connectionId, reason: check.reason });
        return { statusCode: token === undefined || token === '' ? 401 : 403, body: check.reason };
      }
      await addConnection(connectionsTable(), connectionId);
      return { statusCode: 200 };
    }
    case '$disconnect':
      await removeConnection(connectionsTable(), connectionId);
      return { statusCode: 200 };
    default:
      return { statusCode: 200 };
  }
});
