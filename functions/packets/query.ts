import { badRequest, notFound } from '../shared/errors.ts';
import { cursorParameter } from '../shared/cursor.ts';
import { json, type HttpEvent, type HttpResult } from '../shared/http-response.ts';
import { integerParameter, queryParameters } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { pathParameter } from '../shared/path-parameters.ts';
import { PROTOCOLS, resolveProtocol } from './protocols.ts';
import { newestLayers, protocolCounts } from './read-store.ts';
import { decodeCursor, encodeCursor } from './storage.ts';

const DEFAULT_VIEW_LIMIT = 100;
const MAX_VIEW_LIMIT = 1000;

/** Every GET under /packets: counts per protocol and the newest-first view. */
export const handler = httpHandler(async (event) => {
  switch (event.routeKey) {
    case 'GET /packets':
      return json(200, { status: 'ok', message: 'packets endpoint' });
    case 'GET /packets/tables':
      return json(200, { protocols: [...(await protocolCounts()).keys()].sort() });
    case 'GET /packets/tables/all':
      return json(200, Object.fromEntries([...(await protocolCounts())].sort(([a], [b]) => (a < b ? -1 : 1))));
    case 'GET /packets/tables/{protocol}':
      return protocolCount(pathParameter(event, 'protocol'));
    case 'GET /packets/tables/view':
    case 'GET /packets/tables/views':
      return view(event);
    default:
      throw notFound(`no route ${event.routeKey}`);
  }
});

// The name is echoed cut short: it is the client's text, of any length.
const unknownProtocol = (name: string) => notFound(`unknown protocol ${JSON.stringify(name.slice(0, 64))}; known protocols are ${PROTOCOLS.join(', ')}`);

async function protocolCount(name: string): Promise<HttpResult> {
  const protocol = resolveProtocol(name);
  if (protocol === undefined) throw unknownProtocol(name);
  return json(200, { [protocol]: (await protocolCounts()).get(protocol) ?? 0 });
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
  const before = cursorParameter(params, decodeCursor);
  const page = await newestLayers(protocol, limit, before);
  const last = page.items.at(-1);
  return json(200, {
    view: page.items.map((item) => ({ ...item.fields, packet_id: item.packet_id, timestamp: item.timestamp })),
    next: page.more && last !== undefined ? encodeCursor(last.sk) : null,
  });
}
