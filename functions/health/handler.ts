import { json, type HttpResult } from '../shared/http.ts';

/** GET /health: the API answers; it checks no dependency, so it stays cheap for probes. */
export async function handler(): Promise<HttpResult> {
  return json(200, { status: 'ok' });
}
