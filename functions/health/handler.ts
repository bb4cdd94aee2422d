import { json, type HttpResult } from '../shared/http-response.ts';
import { publicHttpHandler } from '../shared/public-http-handler.ts';

/** GET /health: the API answers; it checks no dependency, so it stays cheap for probes. */
export const handler = publicHttpHandler(async (): Promise<HttpResult> => {
  return json(200, { status: 'ok' });
});
