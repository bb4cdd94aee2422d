import { invalidRecords, type ErrorDetail } from '../shared/errors.ts';
import type { Encoding } from './decode.ts';
import { dateAndTime, interfaceSchema, type InterfaceRecord } from './interface-schema.ts';

/** One notification, the same whichever encoding it arrived in. */
export interface NormalizedNotification {
  eventTime: string;
  publisher?: string;
  /** Interface statistics, when that is the payload. */
  interfaces?: InterfaceRecord[];
  /** Any other payload, kept as it came so that no YANG-push content is lost. */
  content?: Record<string, unknown>;
}

/**
 * Validates a notification's content by the YANG rules and normalises it: eventTime is a
 * date-and-time; interface statistics (the seed's interface_data or RFC 8343's
 * ietf-interfaces:interfaces) must satisfy RFC 8343 / RFC 6991, every problem named by
 * interface and leaf; any other payload is accepted as it came.
 */
export function normalizeNotification(content: Record<string, unknown>, encoding: Encoding, publisher?: string): NormalizedNotification {
  const eventTime = dateAndTime.safeParse(content.eventTime);
  if (!eventTime.success) {
    const message = content.eventTime === undefined ? 'is missing' : (eventTime.error.issues[0]?.message ?? 'is not a date-and-time');
    throw invalidRecords([{ field: 'eventTime', message }], 'field');
  }
  const { eventTime: _time, ...payload } = content;
  const found = interfaceList(payload);
  if (found === undefined) return { eventTime: eventTime.data, publisher, content: payload };
  const { list, container } = found;
  // What else the notification carries beside its interface statistics is kept as it came.
  const { [container]: _interfaces, ...others } = payload;
  const rest = Object.keys(others).length > 0 ? { content: others } : {};

  const schema = interfaceSchema(encoding);
  const details: ErrorDetail[] = [];
  const interfaces: InterfaceRecord[] = [];
  list.forEach((raw, index) => {
    const name = typeof (raw as { name?: unknown })?.name === 'string' ? shownName((raw as { name: string }).name) : String(index);
    const result = schema.safeParse(raw);
    if (result.success) interfaces.push(dropUndefined(result.data) as InterfaceRecord);
    else for (const issue of result.error.issues) details.push({ record: index, field: `interface[${name}].${issue.path.join('/')}`, message: issue.message });
  });
  const names = new Set<string>();
  interfaces.forEach((i, index) => {
    if (names.has(i.name)) details.push({ record: index, field: `interface[${shownName(i.name)}].name`, message: 'names an interface listed twice (a YANG list key must be unique)' });
    names.add(i.name);
  });
  interfaces.forEach((i, index) => {
    for (const leaf of ['higher-layer-if', 'lower-layer-if'] as const) {
      for (const other of i[leaf] ?? []) {
        if (!names.has(other)) details.push({ record: index, field: `interface[${shownName(i.name)}].${leaf}`, message: `names "${other}", which is not an interface of this notification` });
      }
    }
  });
  if (details.length > 0) throw invalidRecords(details, 'field');
  return { eventTime: eventTime.data, publisher, interfaces, ...rest };
}

/** The interface statistics of a payload, and the member holding them: the seed's interface_data, else RFC 8343's. */
function interfaceList(payload: Record<string, unknown>): { list: unknown[]; container: string } | undefined {
  const name = payload.interface_data != null ? 'interface_data' : payload['ietf-interfaces:interfaces'] !== undefined ? 'ietf-interfaces:interfaces' : undefined;
  if (name === undefined) return undefined;
  const container = payload[name] as { interface?: unknown } | null;
  if (typeof container !== 'object' || container === null || !Array.isArray(container.interface)) {
    throw invalidRecords([{ field: 'interface', message: 'is missing or not a list; interface statistics must be a list "interface"' }], 'field');
  }
  return { list: container.interface, container: name };
}

function dropUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropUndefined);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, dropUndefined(v)]));
}

/** An interface as errors name it: a name past any real one's length is cut, not echoed back whole. */
function shownName(name: string): string {
  const SHOWN = 64;
  return name.length <= SHOWN ? name : `${[...name].slice(0, SHOWN).join('')}…`;
}
