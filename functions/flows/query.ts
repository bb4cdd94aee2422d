import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { badRequest } from '../shared/errors.ts';
import { decodeCursorText, encodeCursorText, invalidCursor, isKeyValue } from '../shared/cursor.ts';
import { integerParameter, json, queryParameters } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { flowsConfig } from './config.ts';
import { hourPartition } from './storage.ts';

const MAX_LIMIT = 1000;

interface Position {
  shard: number;
  after?: string;
}

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
  const config = flowsConfig();
  let position = decodeCursor(params.get('cursor'), config.shards);

  // Shards in order, each in key order: a cursor is a shard and the last key read there.
  const rows: Record<string, unknown>[] = [];
  while (position !== undefined && rows.length < limit) {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: config.flowsTable,
        KeyConditionExpression: position.after === undefined ? 'pk = :pk' : 'pk = :pk AND sk > :after',
        ExpressionAttributeValues: { ':pk': hourPartition(hour, position.shard), ...(position.after === undefined ? {} : { ':after': position.after }) },
        Limit: limit - rows.length,
      }),
    );
    const items = page.Items ?? [];
    rows.push(...items);
    const last = items.at(-1);
    position = page.LastEvaluatedKey !== undefined && last !== undefined
      ? { shard: position.shard, after: String(last.sk) }
      : position.shard + 1 < config.shards ? { shard: position.shard + 1 } : undefined;
  }
  const body = rows.map((r) => ({ src_app: r.src_app, dest_app: r.dest_app, vpc_id: r.vpc_id, bytes_tx: exactInteger(r.bytes_tx), bytes_rx: exactInteger(r.bytes_rx), hour }));
  const headers: Record<string, string> = {};
  if (position !== undefined && rows.length >= limit) {
    headers.link = `<${event.rawPath}?hour=${hour}&limit=${limit}&cursor=${encodeCursor(position)}>; rel="next"`;
  }
  return json(200, body, headers);
});

function encodeCursor(position: Position): string {
  return encodeCursorText(JSON.stringify(position));
}

/** Exactly the positions encodeCursor writes, so that the query built from one cannot fail. */
function decodeCursor(cursor: string | undefined, shards: number): Position | undefined {
  if (cursor === undefined || cursor === '') return { shard: 0 };
  const text = decodeCursorText(cursor);
  let value: unknown;
  try {
    value = text === undefined ? undefined : JSON.parse(text);
  } catch {
    throw invalidCursor();
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidCursor();
  const { shard, after, ...rest } = value as Record<string, unknown>;
  const validShard = typeof shard === 'number' && Number.isInteger(shard) && shard >= 0 && shard < shards;
  const validAfter = after === undefined || (typeof after === 'string' && isKeyValue(after));
  if (!validShard || !validAfter || Object.keys(rest).length > 0) throw invalidCursor();
  return after === undefined ? { shard } : { shard, after };
}

/** Sums are read as number or, past 2^53, bigint (see shared/json.ts): answered exact either way. */
function exactInteger(value: unknown): number | bigint {
  return typeof value === 'bigint' ? value : Number(value);
}
