import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { decodeCursorText, encodeCursorText, invalidCursor } from '../shared/cursor.ts';
import { integerParameter, json, queryParameters } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { notificationsConfig } from './config.ts';
import { historyPartition } from './storage.ts';

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

// `<ISO 8601 time>#<ingest id>#<index>`; bounded so that no cursor can carry DynamoDB past its key-size limit.
const HISTORY_CURSOR = /^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[\w#:-]{1,200}$/;

/** GET /notifications: stored notifications newest first, paged with a cursor. */
export const handler = httpHandler(async (event) => {
  const params = queryParameters(event);
  const limit = integerParameter(params, 'limit', 1, MAX_LIMIT) ?? DEFAULT_LIMIT;
  const cursor = params.get('cursor');
  const before = cursor === undefined || cursor === '' ? undefined : decodeCursorText(cursor);
  if (cursor && (before === undefined || !HISTORY_CURSOR.test(before))) throw invalidCursor();
  const config = notificationsConfig();
  // Each shard is newest first by sort key; the newest `limit + 1` of each, merged, are the newest overall.
  const perShard = await Promise.all(
    Array.from({ length: config.shards }, async (_, shard) => {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: config.notificationsTable,
          KeyConditionExpression: before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before',
          ExpressionAttributeValues: { ':pk': historyPartition(shard), ...(before === undefined ? {} : { ':before': before }) },
          ScanIndexForward: false,
          Limit: limit + 1,
        }),
      );
      return page.Items ?? [];
    }),
  );
  const merged = perShard.flat().sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : -1));
  const page = merged.slice(0, limit);
  const next = merged.length > limit ? encodeCursorText(String(page.at(-1)?.sk)) : null;
  return json(200, { items: page.map((item) => item.notification), next });
});
