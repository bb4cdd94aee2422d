import { badRequest } from '../shared/errors.ts';
import { cursorParameter } from '../shared/cursor.ts';
import { json, nextPageLink } from '../shared/http-response.ts';
import { integerParameter, queryParameters } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { flowsConfig } from './config.ts';
import { readHour } from './read-store.ts';
import { hourCursor } from './storage.ts';

const MAX_LIMIT = 1000;

/** GET /flows?hour=N (and /flowlogs): the hour's sums per (src_app, dest_app, vpc_id), paged. */
export const handler = httpHandler(async (event) => {
  const params = queryParameters(event);
  const rawHour = params.get('hour');
  if (rawHour === undefined || rawHour === '') throw badRequest('hour is required', [{ field: 'hour', message: 'missing' }]);
  const hour = Number(rawHour);
  // Past 2^53 the number is not the hour asked for, and the Link header would not name it.
  if (!/^\d+$/.test(rawHour) || !Number.isSafeInteger(hour)) {
    throw badRequest(`hour must be a non-negative integer, got ${JSON.stringify(rawHour.slice(0, 64))}`, [{ field: 'hour', message: 'not a non-negative integer' }]);
  }
  const limit = integerParameter(params, 'limit', 1, MAX_LIMIT) ?? MAX_LIMIT;
  const cursor = hourCursor(flowsConfig().shards);
  const { rows, next } = await readHour(hour, limit, cursorParameter(params, cursor.decode) ?? { shard: 0 });
  const body = rows.map((r) => ({ src_app: r.src_app, dest_app: r.dest_app, vpc_id: r.vpc_id, bytes_tx: exactInteger(r.bytes_tx), bytes_rx: exactInteger(r.bytes_rx), hour }));
  return json(200, body, next !== undefined ? nextPageLink(event.rawPath, `hour=${hour}&limit=${limit}&cursor=${cursor.encode(next)}`) : {});
});

/** Sums are read as number or, past 2^53, bigint (see shared/json.ts): answered exact either way. */
function exactInteger(value: unknown): number | bigint {
  return typeof value === 'bigint' ? value : Number(value);
}
