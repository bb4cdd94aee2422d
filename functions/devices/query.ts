import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/aws-clients.ts';
import { forEachLimited, getAll } from '../shared/batch-writer.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { httpHandler, integerParameter, json, queryParameters, type HttpResult } from '../shared/http.ts';
import { devicesConfig } from './config.ts';
import { normalizeMac } from './mac.ts';
import { DEVICE_INDEX_SHARDS, SNAPSHOT_PREFIX, flowStatsKey, indexPartition } from './storage.ts';
import { buildDeviceView, type DeviceView } from './view.ts';

const DEFAULT_SNAPSHOTS = 60;
const MAX_SNAPSHOTS = 1440;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

type Item = Record<string, unknown>;

/** GET /devices (paged, ordered by MAC) and GET /devices/{mac}. */
export const handler = httpHandler(async (event) => {
  const params = queryParameters(event);
  const snapshots = integerParameter(params, 'snapshots', 0, MAX_SNAPSHOTS) ?? DEFAULT_SNAPSHOTS;
  if (event.routeKey === 'GET /devices/{mac}') return oneDevice(event.pathParameters?.mac ?? '', snapshots);
  return listDevices(params, snapshots);
});

async function oneDevice(raw: string, snapshots: number): Promise<HttpResult> {
  const mac = normalizeMac(decodeURIComponent(raw));
  if (mac === undefined) throw badRequest(`"${raw}" is not a MAC address (six hex octets separated by : or -)`, [{ field: 'mac', message: 'malformed' }]);
  const view = await deviceView(devicesConfig().devicesTable, mac, snapshots);
  if (view === undefined) throw notFound(`no device ${mac}`);
  return json(200, view);
}

async function listDevices(params: Map<string, string>, snapshots: number): Promise<HttpResult> {
  const limit = integerParameter(params, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
  const after = params.get('cursor');
  if (after !== undefined && normalizeMac(after) === undefined) throw badRequest('cursor is not one this API returned', [{ field: 'cursor', message: 'invalid' }]);
  const table = devicesConfig().devicesTable;
  // The index is spread over a few partitions; each is ordered by MAC, so the merge is too.
  const perShard = await Promise.all(
    Array.from({ length: DEVICE_INDEX_SHARDS }, (_, shard) => queryAll(table, indexPartition(shard), limit + 1, after)),
  );
  const macs = perShard.flat().map((i) => String(i.sk)).sort();
  const page = macs.slice(0, limit);
  const views: DeviceView[] = new Array(page.length);
  await forEachLimited(
    page.map((mac, i) => ({ mac, i })),
    8,
    async ({ mac, i }) => {
      views[i] = (await deviceView(table, mac, snapshots)) as DeviceView;
    },
  );
  const next = macs.length > limit ? page.at(-1) : undefined;
  const headers: Record<string, string> = next === undefined ? {} : { link: `</devices?limit=${limit}&snapshots=${snapshots}&cursor=${next}>; rel="next"` };
  return json(200, views.filter(Boolean), headers);
}

async function deviceView(table: string, mac: string, snapshots: number): Promise<DeviceView | undefined> {
  const pk = `dev#${mac}`;
  const [items, snaps] = await Promise.all([
    queryAll(table, pk, undefined, undefined, SNAPSHOT_PREFIX),
    snapshots === 0 ? Promise.resolve([]) : newestSnapshots(table, pk, snapshots),
  ]);
  if (items.length === 0 && snaps.length === 0) return undefined;
  const digests = items.filter((i) => String(i.sk).startsWith('app#')).map((i) => String(i.digest));
  const stats = digests.length === 0 ? [] : await getAll(table, digests.map(flowStatsKey));
  const byDigest = new Map(stats.map((s) => [String(s.pk).slice('flow#'.length), s]));
  return buildDeviceView(mac, items, snaps, byDigest);
}

async function queryAll(table: string, pk: string, limit?: number, after?: string, before?: string): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  const conditions = ['pk = :pk'];
  const values: Item = { ':pk': pk };
  if (after !== undefined) {
    conditions.push('sk > :after');
    values[':after'] = after;
  } else if (before !== undefined) {
    conditions.push('sk < :before');
    values[':before'] = before;
  }
  do {
    const page = await documentClient().send(
      new QueryCommand({ TableName: table, KeyConditionExpression: conditions.join(' AND '), ExpressionAttributeValues: values, ExclusiveStartKey: start, Limit: limit }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && (limit === undefined || items.length < limit));
  return items;
}

async function newestSnapshots(table: string, pk: string, count: number): Promise<Item[]> {
  const page = await documentClient().send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :snap)',
      ExpressionAttributeValues: { ':pk': pk, ':snap': SNAPSHOT_PREFIX },
      ScanIndexForward: false,
      Limit: count,
    }),
  );
  return page.Items ?? [];
}
