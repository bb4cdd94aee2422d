import { json } from '../shared/http-response.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { websocketUrl } from './config.ts';
import { tokenSecret } from './token-secret.ts';
import { issueToken } from './token.ts';

/**
 * GET /live (read scope, checked by the API-key authorizer): the WebSocket URL with a fresh
 * connect token, to open as it is, e.g. `new WebSocket(url)` in a browser.
 */
export const handler = httpHandler(async () => {
  const { token, expiresAt } = issueToken(await tokenSecret());
  const url = new URL(websocketUrl());
  url.searchParams.set('token', token);
  return json(200, { url: url.href, expires_at: expiresAt.toISOString() }, { 'cache-control': 'no-store' });
});
