import * as z from 'zod';
import { counter64 } from '../../functions/shared/counter64.ts';
import { packetSchema, MAX_PACKETS_PER_REQUEST } from '../../functions/packets/packet-schema.ts';
import { flowRecordSchema, MAX_FLOW_RECORDS } from '../../functions/flows/flow-schema.ts';
import { inventoryRecordSchema, MAX_INVENTORY_RECORDS } from '../../functions/devices/inventory-schema.ts';
import { NETIFY_MEDIA_TYPES, netifyRecordSchema } from '../../functions/devices/netify.ts';
import { dateAndTime, interfaceSchema } from '../../functions/notifications/interface-schema.ts';
import { PROTOCOLS } from '../../functions/packets/protocols.ts';
import type { HttpApiEvent } from '../local/service-config.ts';

/**
 * The HTTP contract as OpenAPI 3.1, generated from the zod schemas ingest validates with
 * (zod 4's JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses as it is). Response
 * bodies are described here by small zod schemas of their own.
 */

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ record: z.number().int().optional(), line: z.number().int().optional(), field: z.string().optional(), message: z.string() })).optional(),
  }),
});
const rejected = z.array(z.object({ record: z.number().int().optional(), line: z.number().int().optional(), field: z.string().optional(), message: z.string() }));
const accepted = z.object({ accepted: z.number().int(), skipped: z.number().int().optional(), rejected: rejected.optional() });
const counts = z.record(z.enum(PROTOCOLS), z.number().int());
const flowRow = z.object({ src_app: z.string(), dest_app: z.string(), vpc_id: z.string(), bytes_tx: z.int(), bytes_rx: z.int(), hour: z.int() });
const notificationJson = z.object({
  'ietf-https-notif:notification': z.looseObject({
    eventTime: dateAndTime,
    interface_data: z.object({ interface: z.array(interfaceSchema('json')) }).optional(),
    'ietf-interfaces:interfaces': z.object({ interface: z.array(interfaceSchema('json')) }).optional(),
  }),
});
const deviceView = z.looseObject({
  mac_address: z.string(),
  ip_address: z.string().nullable(),
  host_name: z.string().nullable(),
  device_type: z.string().nullable(),
  operating_system: z.string().nullable(),
  simulated: z.boolean().meta({ description: 'a device of the simulated network (a demo stages may turn on), not of a client' }),
  first_seen: z.string().nullable(),
  last_seen: z.string().nullable(),
  snap_shots: z.array(z.object({ time_stamp: z.string(), upload_speed: z.int(), download_speed: z.int(), active_connection: z.boolean() })),
  applications: z.array(z.looseObject({ digest: z.string(), app_name: z.string() })),
  interfaces: z.array(z.looseObject({})),
  protocols: z.record(z.string(), z.int()),
});

type Json = Record<string, unknown>;

function schema(type: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(type, {
    io: 'input',
    unrepresentable: 'any',
    // Integers past 2^53 arrive as JSON integers (bigint inside): still integers on the wire.
    override: ({ zodSchema, jsonSchema }) => {
      if ((zodSchema as { _zod: { def: { type: string } } })._zod.def.type === 'bigint') jsonSchema.type = 'integer';
      // One integer on the wire, whichever of its two representations holds it inside.
      if (zodSchema === counter64) {
        for (const key of Object.keys(jsonSchema)) if (key !== 'default') delete jsonSchema[key];
        Object.assign(jsonSchema, { type: 'integer', minimum: 0, format: 'uint64', description: 'a 64-bit counter: 0 to 18446744073709551615' });
      }
    },
  }) as Json;
  return rest;
}

/** Each schema once, under components, and referred to from the operations. */
const SCHEMAS: Record<string, z.ZodType> = {
  Error: errorBody,
  Accepted: accepted,
  Counts: counts,
  Packet: packetSchema,
  FlowRecord: flowRecordSchema,
  FlowSum: flowRow,
  InventoryRecord: inventoryRecordSchema,
  NetifyRecord: netifyRecordSchema,
  Notification: notificationJson,
  DeviceView: deviceView,
};
const ref = (name: keyof typeof SCHEMAS & string) => ({ $ref: `#/components/schemas/${name}` });
const json = (body: Json) => ({ 'application/json': { schema: body } });
const ERROR_RESPONSES: Record<string, [string, string]> = {
  BadRequest: ['400', 'invalid input, naming the record and field'],
  Unauthorized: ['401', 'missing or unknown credential'],
  Forbidden: ['403', 'the credential lacks the scope'],
  NotFound: ['404', 'unknown resource'],
  TooLarge: ['413', 'body too large'],
  UnsupportedMediaType: ['415', 'unsupported or unparseable media type'],
  KeyReused: ['422', 'Idempotency-Key reused with another body'],
  Unavailable: ['503', 'queue unreachable; retry'],
  Folding: ['503', 'what was read kept changing under the read (flow deltas or packet sightings being folded); retry'],
};
const errors = (...names: (keyof typeof ERROR_RESPONSES & string)[]) =>
  Object.fromEntries(names.map((name) => [ERROR_RESPONSES[name]?.[0], { $ref: `#/components/responses/${name}` }]));
const ERRORS = errors('BadRequest', 'Unauthorized', 'Forbidden');
const INGEST_ERRORS = errors('BadRequest', 'Unauthorized', 'Forbidden', 'TooLarge', 'UnsupportedMediaType', 'KeyReused', 'Unavailable');
const NOT_FOUND = errors('NotFound');
const INGEST_HEADERS = [
  { name: 'Idempotency-Key', in: 'header', schema: { type: 'string', maxLength: 200 }, description: 'makes retries safe; scoped to the credential and bound to the body' },
  { name: 'Prefer', in: 'header', schema: { type: 'string', enum: ['handling=lenient', 'handling=strict'] }, description: 'RFC 7240: lenient queues the valid records and lists the rejected ones' },
];
const query = (name: string, type: Json, description: string, required = false) => ({ name, in: 'query', required, schema: type, description });
const path = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });

const bulk = (summary: string, record: keyof typeof SCHEMAS & string, max: number) => ({
  summary,
  parameters: INGEST_HEADERS,
  requestBody: { required: true, content: json({ oneOf: [ref(record), { type: 'array', items: ref(record), minItems: 1, maxItems: max }] }) },
  responses: { '202': { description: 'queued', content: json(ref('Accepted')) }, ...INGEST_ERRORS },
});

/** What each route of serverless.yml does, keyed "METHOD /path". A route missing here fails the contract test. */
const OPERATIONS: Record<string, Json> = {
  'GET /health': { summary: 'Liveness', security: [], responses: { '200': { description: 'up', content: json(schema(z.object({ status: z.literal('ok') }))) } } },
  'GET /capabilities': {
    summary: 'https-notif receiver capabilities (draft-ietf-netconf-https-notif)',
    security: [],
    responses: { '200': { description: 'the encodings this receiver takes', content: { 'application/json': { schema: { type: 'object' } }, 'application/xml': { schema: { type: 'string' } } } } },
  },
  'POST /packets': bulk('Packets in the network-monitor-client format', 'Packet', MAX_PACKETS_PER_REQUEST),
  'GET /packets': { summary: "The sniffer client's liveness check", responses: { '200': { description: 'ok' }, ...ERRORS } },
  'GET /packets/tables': { summary: 'Protocols with at least one packet', responses: { '200': { description: 'sorted', content: json(schema(z.object({ protocols: z.array(z.enum(PROTOCOLS)) }))) }, ...ERRORS } },
  'GET /packets/tables/all': { summary: 'Packet count per protocol', responses: { '200': { description: 'counts', content: json(ref('Counts')) }, ...ERRORS } },
  'GET /packets/tables/{protocol}': {
    summary: "One protocol's count (case-insensitive; legacy aliases i_pv4, i_pv6, af__packet)",
    parameters: [path('protocol', 'a layer name')],
    responses: { '200': { description: 'count', content: json(ref('Counts')) }, ...NOT_FOUND, ...ERRORS },
  },
  'GET /packets/tables/view': {
    summary: "A protocol's packets, newest first (parameters may also be separated by ';')",
    parameters: [query('ProtocolName', { type: 'string' }, 'layer name', true), query('Limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'rows'), query('cursor', { type: 'string' }, 'from the previous page')],
    responses: { '200': { description: 'rows', content: json(schema(z.object({ view: z.array(z.looseObject({ packet_id: z.string(), timestamp: z.number() })), next: z.string().nullable() }))) }, ...NOT_FOUND, ...ERRORS },
  },
  'POST /flows': bulk('Flow records, or AWS VPC Flow Logs as text/plain', 'FlowRecord', MAX_FLOW_RECORDS),
  'GET /flows': {
    summary: 'Hourly sums per (src_app, dest_app, vpc_id), paged with an RFC 8288 Link header',
    parameters: [query('hour', { type: 'integer', minimum: 0 }, 'hours since the epoch', true), query('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'rows'), query('cursor', { type: 'string' }, 'from the Link header')],
    responses: { '200': { description: 'sums, exact integers', content: json({ type: 'array', items: ref('FlowSum') }) }, ...ERRORS, ...errors('Folding') },
  },
  'POST /relay-notification': {
    summary: 'A YANG notification (https-notif), JSON or XML',
    parameters: INGEST_HEADERS.slice(0, 1),
    requestBody: { required: true, content: { ...json(ref('Notification')), 'application/yang-data+json': { schema: ref('Notification') }, 'application/xml': { schema: { type: 'string' } }, 'application/yang-data+xml': { schema: { type: 'string' } } } },
    responses: { '204': { description: 'queued' }, ...INGEST_ERRORS },
  },
  'GET /notifications': {
    summary: 'Stored notifications, newest first',
    parameters: [query('limit', { type: 'integer', minimum: 1 }, 'items'), query('cursor', { type: 'string' }, 'from the previous page')],
    responses: { '200': { description: 'items', content: json(schema(z.object({ items: z.array(z.looseObject({})), next: z.string().nullable() }))) }, ...ERRORS },
  },
  'POST /devices': bulk('Device inventory records', 'InventoryRecord', MAX_INVENTORY_RECORDS),
  'POST /netify': {
    summary: "Netify agent output as read from its socket (newline-delimited JSON)",
    parameters: INGEST_HEADERS,
    requestBody: { required: true, content: Object.fromEntries(NETIFY_MEDIA_TYPES.map((type) => [type, { schema: ref('NetifyRecord') }])), description: 'one record per line' },
    responses: { '202': { description: 'queued', content: json(ref('Accepted')) }, ...INGEST_ERRORS },
  },
  'GET /devices': {
    summary: 'Device views, paged by MAC, by size and by the time left, with an RFC 8288 Link header',
    parameters: [query('limit', { type: 'integer', minimum: 1, maximum: 200 }, 'devices'), query('snapshots', { type: 'integer', minimum: 0 }, 'snapshots per device'), query('cursor', { type: 'string' }, 'from the Link header')],
    responses: { '200': { description: 'views', content: json({ type: 'array', items: ref('DeviceView') }) }, ...ERRORS, ...errors('Folding') },
  },
  'GET /devices/{mac}': {
    summary: 'One device view',
    parameters: [path('mac', 'with : or -, any case'), query('snapshots', { type: 'integer', minimum: 0 }, 'snapshots')],
    responses: { '200': { description: 'view', content: json(ref('DeviceView')) }, ...NOT_FOUND, ...ERRORS, ...errors('Folding') },
  },
  'GET /live': {
    summary: "The live channel: a WebSocket URL with a read token good for 5 minutes to connect; the socket sends seed 004's device array (speeds in Mbps) on connect and after each change",
    responses: { '200': { description: 'the URL to open as it is', content: json(schema(z.object({ url: z.string(), expires_at: z.string() }))) }, ...ERRORS },
  },
  'GET /openapi.json': { summary: 'This document', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } },
  'GET /dashboard': {
    summary: 'The live dashboard (a page; it asks for an API key with the read scope and reads the API with it)',
    security: [],
    responses: { '200': { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } }, '503': { description: 'the page is not built' } },
  },
  'GET /dashboard/{file+}': {
    summary: "The dashboard's files (scripts and styles under assets/, named by their content and cached for good)",
    security: [],
    responses: {
      '200': { description: 'the file', content: { '*/*': { schema: { type: 'string' } } } },
      '302': { description: 'index.html: to /dashboard, the one path the page links its files from' },
      '404': { description: 'no such file' },
    },
  },
};
// Aliases answer exactly as the routes they stand for.
const ALIASES: Record<string, string> = { 'GET /packets/tables/views': 'GET /packets/tables/view', 'POST /flowlogs': 'POST /flows', 'GET /flowlogs': 'GET /flows', 'POST /notifications': 'POST /relay-notification' };

/** The document for these routes; throws on a route it does not describe. */
export function openApiDocument(routes: readonly HttpApiEvent[], version: string): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of [...routes].sort((a, b) => `${a.path} ${a.method}`.localeCompare(`${b.path} ${b.method}`))) {
    const key = `${route.method} ${route.path}`;
    const operation = OPERATIONS[key] ?? OPERATIONS[ALIASES[key] ?? ''];
    if (operation === undefined) throw new Error(`the OpenAPI document does not describe ${key}`);
    (paths[route.path] ??= {})[route.method.toLowerCase()] = { operationId: `${route.method.toLowerCase()}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`, ...operation };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'netingest', version, description: 'Network telemetry ingestion: packets, flow logs, YANG notifications, Netify flows and device inventory.' },
    components: {
      schemas: Object.fromEntries(Object.entries(SCHEMAS).map(([name, type]) => [name, schema(type)])),
      responses: Object.fromEntries(Object.entries(ERROR_RESPONSES).map(([name, [, description]]) => [name, { description, content: json(ref('Error')) }])),
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic', description: 'the API key as the password' },
      },
    },
    security: [{ apiKey: [] }, { bearer: [] }, { basic: [] }],
    paths,
  };
}
