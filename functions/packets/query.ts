import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { getAll } from '../shared/batch-writer.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { invalidCursor } from '../shared/cursor.ts';
import { integerParameter, json, queryParameters, type HttpEvent, type HttpResult } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { pathParameter } from '../shared/path-parameters.ts';
import { packetsConfig } from './config.ts';
import { PROTOCOLS, resolveProtocol, type Protocol } from './protocols.ts';
import { allCounterKeys, decodeCursor, encodeCursor, sumCounters, type PacketLayerItem } from './storage.ts';

const DEFAULT_VIEW_LIMIT = 100;
const MAX_VIEW_LIMIT = 1000;

/** Every GET under /packets: counts per protocol and the newest-first view. */
export const handler = httpHandler(async (event) => {
  switch (event.routeKey) {
    case 'GET /packets':
      return json(200, { status: 'ok', message: 'packets endpoint' });
    case 'GET /packets/tables':
      return json(200, { protocols: [...(await counts()).keys()].sort() });
    case 'GET /packets/tables/all':
      return json(200, Object.fromEntries([...(await counts())].sort(([a], [b]) => (a < b ? -1 : 1))));
    case 'GET /packets/tables/{protocol}':
      return protocolCount(pathParameter(event, 'protocol'));
    case 'GET /packets/tables/view':
    case 'GET /packets/tables/views':
      return view(event);
    default:
      throw notFound(`no route ${event.routeKey}`);
  }
});

async function counts(): Promise<Map<Protocol, number>> {
  const config = packetsConfig();
  const totals = sumCounters(await getAll(config.countsTable, allCounterKeys(config.counterShards)));
  for (const [protocol, n] of totals) if (n <= 0) totals.delete(protocol);
  return totals;
}

// The name is echoed cut short: it is the client's text, of any length.
const unknownProtocol = (name: string) => notFound(`unknown protocol ${JSON.stringify(name.slice(0, 64))}; known protocols are ${PROTOCOLS.join(', ')}`);

async function protocolCount(name: string): Promise<HttpResult> {
  const protocol = resolveProtocol(name);
  if (protocol === undefined) throw unknownProtocol(name);
  return json(200, { [protocol]: (await counts()).get(protocol) ?? 0 });
}

async function view(event: HttpEvent): Promise<HttpResult> {
  const params = queryParameters(event);
  const name = params.get('protocolname');
  if (name === undefined || name === '') {
    throw badRequest('ProtocolName is required', [{ field: 'ProtocolName', message: 'missing' }]);
  }
  const protocol = resolveProtocol(name);
  if (protocol === undefined) throw unknownProtocol(name);
  const limit = integerParameter(params, 'Limit', 1, MAX_VIEW_LIMIT) ?? DEFAULT_VIEW_LIMIT;
  const rawCursor = params.get('cursor');
  const before = rawCursor === undefined || rawCursor === '' ? undefined : decodeCursor(rawCursor);
  if (rawCursor && before === undefined) throw invalidCursor();

  const config = packetsConfig();
  // Each shard is ordered by sort key; the newest `limit + 1` of each, merged, are the newest overall.
  const perShard = await Promise.all(
    Array.from({ length: config.packetShards }, (_, shard) => newestInShard(config.packetsTable, `${protocol}#${shard}`, limit + 1, before)),
  );
  const merged = perShard.flat().sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
  const page = merged.slice(0, limit);
  const last = page.at(-1);
  const next = merged.length > limit && last !== undefined ? encodeCursor(last.sk) : null;
  return json(200, {
    view: page.map((item) => ({ ...item.fields, packet_id: item.packet_id, timestamp: item.timestamp })),
    next,
  });
}

async function newestInShard(table: string, pk: string, limit: number, before: string | undefined): Promise<PacketLayerItem[]> {
  const result = await documentClient().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: before === undefined ? 'pk = :pk' : 'pk = :pk AND sk < :before',
      ExpressionAttributeValues: before === undefined ? { ':pk': pk } : { ':pk': pk, ':before': before },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (result.Items ?? []) as PacketLayerItem[];
}
