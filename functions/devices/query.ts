import { cursorParameter } from '../shared/cursor.ts';
import { groupClock, invocationDeadline } from '../shared/deadline.ts';
import { badRequest, notFound } from '../shared/errors.ts';
import { json, nextPageLink, type HttpResult } from '../shared/http-response.ts';
import { integerParameter, queryParameters } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { pathParameter } from '../shared/path-parameters.ts';
import { normalizeMac } from './mac.ts';
import { deviceMacs, readDevices } from './read-store.ts';
import { deviceListCursor } from './storage.ts';
import { DEFAULT_VIEW_LIMITS, buildDeviceView, jsonBytes, type DeviceView, type ViewLimits } from './view.ts';

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

/**
 * A page also stops adding devices when the function's time left would not cover another
 * group of views (judged by the slowest so far) and this much more for sending the body,
 * so that a slow store makes a shorter page, not a 500 at the timeout.
 */
export const LIST_RESERVE_MS = 2_000;

/**
 * API Gateway answers 504 once an integration has run this long, on its clock: REST APIs'
 * limit (HTTP APIs' is 30 s). A cold start's init runs on that clock before the handler's
 * own, so a page also ends LIST_RESERVE_MS before this much after the request arrived.
 */
export const GATEWAY_LIMIT_MS = 29_000;

interface ViewOptions extends ViewLimits {
  snapshots: number;
}

/** GET /devices (paged, ordered by MAC) and GET /devices/{mac}. */
export const handler = httpHandler(async (event, context) => {
  const params = queryParameters(event);
  const options: ViewOptions = {
    ...DEFAULT_VIEW_LIMITS,
    snapshots: integerParameter(params, 'snapshots', 0, MAX_SNAPSHOTS) ?? DEFAULT_SNAPSHOTS,
    applications: integerParameter(params, 'applications', 0, MAX_APPLICATIONS) ?? DEFAULT_VIEW_LIMITS.applications,
    interfaces: integerParameter(params, 'interfaces', 0, MAX_INTERFACES) ?? DEFAULT_VIEW_LIMITS.interfaces,
  };
  if (event.routeKey === 'GET /devices/{mac}') return oneDevice(pathParameter(event, 'mac'), options);
  const gatewayDeadline = (event.requestContext.timeEpoch ?? Number.POSITIVE_INFINITY) + GATEWAY_LIMIT_MS;
  return listDevices(event.rawPath, params, options, Math.min(invocationDeadline(context), gatewayDeadline) - LIST_RESERVE_MS);
});

async function oneDevice(raw: string, options: ViewOptions): Promise<HttpResult> {
  const mac = normalizeMac(raw);
  if (mac === undefined) {
    throw badRequest(`${JSON.stringify(raw.slice(0, 64))} is not a MAC address (six hex octets separated by : or -)`, [{ field: 'mac', message: 'malformed' }]);
  }
  const [view] = await deviceViews([mac], options);
  if (view === undefined) throw notFound(`no device ${mac}`);
  return json(200, view);
}

async function listDevices(rawPath: string, params: Map<string, string>, options: ViewOptions, deadline: number): Promise<HttpResult> {
  const limit = integerParameter(params, 'limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
  const after = cursorParameter(params, deviceListCursor.decode);
  const { items: page, more: morePages } = await deviceMacs(limit, after);

  // Views are built a few at a time, in order, until the body would pass the budget or the
  // time would run out; the first group always is, so that every page moves the cursor on.
  const views: DeviceView[] = [];
  let bytes = 2;
  let last: string | undefined;
  let full = false;
  const clock = groupClock(deadline);
  for (let start = 0; start < page.length && !full; start += PARALLEL_VIEWS) {
    if (last !== undefined && !clock.anotherFits()) {
      full = true;
      break;
    }
    const chunk = page.slice(start, start + PARALLEL_VIEWS);
    const built = await clock.time(() => deviceViews(chunk, options));
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
  const more = full || morePages;
  const query = `limit=${limit}&snapshots=${options.snapshots}&applications=${options.applications}&interfaces=${options.interfaces}`;
  return json(200, views, more && last !== undefined ? nextPageLink(rawPath, `${query}&cursor=${deviceListCursor.encode(last)}`) : {});
}

async function deviceViews(macs: readonly string[], options: ViewOptions): Promise<(DeviceView | undefined)[]> {
  const devices = await readDevices(macs, options);
  return devices.map((device, i) => (device === undefined ? undefined : buildDeviceView(macs[i] as string, device.items, device.snapshotsNewestFirst, device.flowStats, options)));
}
