import type {
  APIGatewayAuthorizerWithContextResult,
  APIGatewayRequestAuthorizerEvent,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { authorize, presentedKey } from './api-keys.ts';
import { authorizeCertificate } from './client-certs.ts';
import { loadCertScopes, loadKeys } from './key-store.ts';

export interface AuthContext {
  [name: string]: string;
  authenticated: 'true' | 'false';
  keyId: string;
  reason: string;
}

type AuthorizerEvent = APIGatewayRequestAuthorizerEventV2 | APIGatewayRequestAuthorizerEvent;
type AuthorizerResult = APIGatewaySimpleAuthorizerWithContextResult<AuthContext> | APIGatewayAuthorizerWithContextResult<AuthContext>;

/**
 * The API's Lambda authorizer: simple responses for the HTTP API, a policy for a REST API.
 * A key without the route's scope is refused here (403). A missing or unknown key is let
 * through marked unauthenticated, and the handler answers 401: an HTTP API authorizer can only answer 403, and API
 * Gateway's own 401 needs every identity source present, which would turn away clients
 * that send the key in just one of the three accepted ways.
 *
 * A request over mutual TLS carries the verified client certificate in
 * requestContext.authentication.clientCert; without an API key its subject CN decides
 * (CLIENT_CERT_SCOPES locally, the SSM parameter deployed). An API key, when present, decides
 * instead: it names the caller explicitly.
 */
export const handler = lambdaHandler(async (event: AuthorizerEvent): Promise<AuthorizerResult> => {
  const rest = 'methodArn' in event;
  // REST APIs keep header names as sent; the HTTP API lowercases them.
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const method = rest ? event.httpMethod : event.requestContext.http.method;
  const clientCert = rest ? event.requestContext.identity?.clientCert : event.requestContext.authentication?.clientCert;
  const decision =
    clientCert != null && presentedKey(headers) === undefined
      ? authorizeCertificate(await loadCertScopes(), clientCert, method)
      : authorize(await loadKeys(), headers, method);
  const [allowed, context]: [boolean, AuthContext] =
    decision.outcome === 'allow'
      ? [true, { authenticated: 'true', keyId: decision.keyId, reason: '' }]
      : decision.outcome === 'unauthenticated'
        ? [true, { authenticated: 'false', keyId: '', reason: decision.reason }]
        : [false, { authenticated: 'true', keyId: decision.keyId, reason: decision.reason }];
  if (!rest) return { isAuthorized: allowed, context };
  // A REST API (stage parameter apiType: rest) takes a policy for the method called; not cached
  // (resultTtlInSeconds 0), since the decision depends on the method.
  return {
    principalId: context.keyId || 'anonymous',
    policyDocument: { Version: '2012-10-17', Statement: [{ Action: 'execute-api:Invoke', Effect: allowed ? 'Allow' : 'Deny', Resource: event.methodArn }] },
    context,
  };
});
