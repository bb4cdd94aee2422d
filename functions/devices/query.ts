import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { getAll } from '../shared/batch-writer.ts';
import { invalidCursor } from '../shared/cursor.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { integerParameter, json, queryParameters, type HttpResult } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { pathParameter } from '../shared/path-parameters.ts';
import { devicesConfig } from './config.ts';
import { normalizeMac } from './mac.ts';
import { DEVICE_INDEX_SHARDS, SNAPSHOT_PREFIX, flowStatsKey, indexPartition } from './storage.ts';
import { DEFAULT_VIEW_LIMITS, SUMMARY_ATTRIBUTES, buildDeviceView, jsonBytes, newestApplications, newestInterfaces, type DeviceView, type ViewLimits } from './view.ts';

const DEFAULT_SNAPSHOTS = 60;
const MAX_SNAPSHOTS = 1440;
const MAX_APPLICATIONS = 1000;
const MAX_INTERFACES = 50;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
const PARALLEL_VIEWS = 8;

/**
 * Lambda refuses a response over 6 MB. A page stops adding devices before its body passes
 * this; one view is far smaller (at most ~2 MB at the largest limits), so a page always
 * holds at least one.
 */
export const LIST_BUDGET_BYTES = 4_000_000;

type Item = Record<string, unknown>;

interface ViewOptions extends ViewLimits {
  snapshots: number;
}

/** GET /devices (paged, ordered by MAC) and GET /devices/{mac}. */
export const handler = httpHandler(async (event) => {
  const params = queryParameters(event);
  const options: ViewOptions = {
    ...DEFAULT_VIEW_LIMITS,
    snapshots: integerParameter(params, 'snapshots', 0, MAX_SNAPSHOTS) ?? DEFAULT_SNAPSHOTS,
    applications: integerParameter(params, 'applications', 0, MAX_APPLICATIONS) ?? DEFAULT_VIEW_LIMITS.applications,
    interfaces: integerParameter(params, 'interfaces', 0, MAX_INTERFACES) ?? DEFAULT_VIEW_LIMITS.interfaces,
  };
  if (event.routeKey === 'GET /devices/{mac}') return oneDevice(pathParameter(event, 'mac'), options);
  return listDevices(params, options);
});

async function oneDevice(raw: string, options: ViewOptions): Promise<HttpResult> {
  const mac = normalizeMac(raw);
  if (mac === undefined) {
    throw badRequest(`${JSON.stringify(raw.slice(0, 64))} is not a MAC address (six hex octets separated by : or -)`, [{ field: 'mac', message: 'malformed' }]);
  }
  const view = await deviceView(devicesConfig().devicesTable, mac, options);
  if (view === undefined) throw notFound(`no device ${mac}`);
  return json(200, view);
}

async function listDevices(params: Map<string, string>, options: ViewOptions): Promise<HttpResult> {
  const limit = integerParameter(params, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
  const cursor = params.get('cursor');
  // The cursor is the last MAC of the previous page; its canonical form is what the index sorts by.
  const after = cursor === undefined || cursor === '' ? undefined : normalizeMac(cursor);
  if (cursor && after === undefined) throw invalidCursor();
  const table = devicesConfig().devicesTable;
  // The index is spread over a few partitions; each is ordered by MAC, so the merge is too.
  const perShard = await Promise.all(
    Array.from({ length: DEVICE_INDEX_SHARDS }, (_, shard) => queryAll(table, indexPartition(shard), { limit: limit + 1, after })),
  );
  const macs = perShard.flat().map((i) => String(i.sk)).sort();
  const page = macs.slice(0, limit);

  // Views are built a few at a time, in order, until the body would pass the budget.
  const views: DeviceView[] = [];
  let bytes = 2;
  let last: string | undefined;
  let full = false;
  for (let start = 0; start < page.length && !full; start += PARALLEL_VIEWS) {
    const chunk = page.slice(start, start + PARALLEL_VIEWS);
    const built = await Promise.all(chunk.map((mac) => deviceView(table, mac, options)));
    for (const [i, view] of built.entries()) {
      if (view !== undefined) {
        const size = jsonBytes(view) + 1;
        if (views.length > 0 && bytes + size > LIST_BUDGET_BYTES) {
          full = true;
          break;
        }
        views.push(view);
        bytes += size;
      }
      last = chunk[i];
    }
  }
  const more = full || macs.length > limit;
  const query = `limit=${limit}&snapshots=${options.snapshots}&applications=${options.applications}&interfaces=${options.interfaces}`;
  const headers: Record<string, string> = more && last !== undefined ? { link: `</devices?${query}&cursor=${last}>; rel="next"` } : {};
  return json(200, views, headers);
}

async function deviceView(table: string, mac: string, options: ViewOptions): Promise<DeviceView | undefined> {
  const pk = `dev#${mac}`;
  const [summary, snaps] = await Promise.all([
    queryAll(table, pk, { before: SNAPSHOT_PREFIX, attributes: SUMMARY_ATTRIBUTES }),
    options.snapshots === 0 ? Promise.resolve([]) : newestSnapshots(table, pk, options.snapshots),
  ]);
  if (summary.length === 0 && snaps.length === 0) return undefined;
  // Only what the view shows is read in full: the chosen applications' sums and interfaces' statistics.
  const digests = newestApplications(summary, options.applications).map((i) => String(i.digest));
  const interfaceKeys = newestInterfaces(summary, options.interfaces).map((i) => ({ pk, sk: String(i.sk) }));
  const [stats, interfaces] = await Promise.all([getAll(table, digests.map(flowStatsKey)), getAll(table, interfaceKeys)]);
  const byDigest = new Map(stats.map((s) => [String(s.pk).slice('flow#'.length), s]));
  const full = new Map(interfaces.map((i) => [String(i.sk), i]));
  const items = summary.map((i) => full.get(String(i.sk)) ?? i);
  return buildDeviceView(mac, items, snaps, byDigest, options);
}

interface Range {
  limit?: number;
  after?: string;
  before?: string;
  attributes?: readonly string[];
}

async function queryAll(table: string, pk: string, range: Range): Promise<Item[]> {
  const items: Item[] = [];
  let start: Item | undefined;
  const conditions = ['pk = :pk'];
  const values: Item = { ':pk': pk };
  if (range.after !== undefined) {
    conditions.push('sk > :after');
    values[':after'] = range.after;
  } else if (range.before !== undefined) {
    conditions.push('sk < :before');
    values[':before'] = range.before;
  }
  // Attribute names go through placeholders: some of them are DynamoDB reserved words.
  const names = range.attributes === undefined ? undefined : Object.fromEntries(range.attributes.map((a, i) => [`#a${i}`, a]));
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: conditions.join(' AND '),
        ExpressionAttributeValues: values,
        ExpressionAttributeNames: names,
        ProjectionExpression: names === undefined ? undefined : Object.keys(names).join(', '),
        ExclusiveStartKey: start,
        Limit: range.limit,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && (range.limit === undefined || items.length < range.limit));
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
