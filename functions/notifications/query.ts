import { cursorParameter } from '../shared/cursor.ts';
import { json } from '../shared/http-response.ts';
import { integerParameter, queryParameters } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { newestNotifications } from './read-store.ts';
import { historyCursor } from './storage.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

/** GET /notifications: stored notifications newest first, paged with a cursor. */
export const handler = httpHandler(async (event) => {
  const params = queryParameters(event);
  const limit = integerParameter(params, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const before = cursorParameter(params, historyCursor.decode);
  const page = await newestNotifications(limit, before);
  const last = page.items.at(-1);
  return json(200, { items: page.items.map((item) => item.notification), next: page.more && last !== undefined ? historyCursor.encode(String(last.sk)) : null });
});
