import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerWithContextResult } from 'aws-lambda';
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

/**
 * The HTTP API's Lambda authorizer (simple responses). A key without the route's scope is
 * refused here (403). A missing or unknown key is let through marked unauthenticated,
 * and the handler answers 401: an HTTP API authorizer can only answer 403, and API
 * Gateway's own 401 needs every identity source present, which would turn away clients
 * that send the key in just one of the three accepted ways.
 *
 * A request over mutual TLS carries the verified client certificate in
 * requestContext.authentication.clientCert; without an API key its subject CN decides
 * (CLIENT_CERT_SCOPES locally, the SSM parameter deployed). An API key, when present, decides
 * instead: it names the caller explicitly.
 */
export const handler = lambdaHandler(async (event: APIGatewayRequestAuthorizerEventV2): Promise<APIGatewaySimpleAuthorizerWithContextResult<AuthContext>> => {
  const headers = event.headers ?? {};
  const method = event.requestContext.http.method;
  const clientCert = event.requestContext.authentication?.clientCert;
  const decision =
    clientCert != null && presentedKey(headers) === undefined
      ? authorizeCertificate(await loadCertScopes(), clientCert, method)
      : authorize(await loadKeys(), headers, method);
  switch (decision.outcome) {
    case 'allow':
      return { isAuthorized: true, context: { authenticated: 'true', keyId: decision.keyId, reason: '' } };
    case 'unauthenticated':
      return { isAuthorized: true, context: { authenticated: 'false', keyId: '', reason: decision.reason } };
    case 'forbidden':
      return { isAuthorized: false, context: { authenticated: 'true', keyId: decision.keyId, reason: decision.reason } };
  }
});
