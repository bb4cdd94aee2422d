import { describe, expect, it } from 'vitest';
import { compileEventFilter } from '../../infra/local/event-filter.ts';
import { loadServiceConfig } from '../../infra/local/service-config.ts';
import { PACKET_SIGHTING_PREFIX, devicePartition, indexKey } from '../../functions/devices/storage.ts';
import { PENDING_PREFIX } from '../../functions/flows/storage.ts';
import { connectionKey } from '../../functions/live/connections.ts';
import { recentPartition } from '../../functions/live/recent-devices.ts';

const record = (eventName: string, keys: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  eventName,
  dynamodb: { Keys: Object.fromEntries(Object.entries(keys).map(([k, v]) => [k, { S: v }])), SizeBytes: 120, ...extra },
});

describe("Lambda's event filtering, as the local runtime applies it", () => {
  it('passes everything without patterns, and an event matching any one of several', () => {
    expect(compileEventFilter(undefined, 't')(record('REMOVE', { pk: 'a' }))).toBe(true);
    const filter = compileEventFilter([{ eventName: ['INSERT'] }, { dynamodb: { Keys: { pk: { S: ['a'] } } } }], 't');
    expect(filter(record('INSERT', { pk: 'b' }))).toBe(true);
    expect(filter(record('MODIFY', { pk: 'a' }))).toBe(true);
    expect(filter(record('MODIFY', { pk: 'b' }))).toBe(false);
  });

  it('needs every field of a pattern to match, and a field the event lacks matches no value', () => {
    const filter = compileEventFilter([{ eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: [{ prefix: 'pkts~' }] } } } }], 't');
    expect(filter(record('INSERT', { pk: 'd', sk: 'pkts~1' }))).toBe(true);
    expect(filter(record('REMOVE', { pk: 'd', sk: 'pkts~1' }))).toBe(false);
    expect(filter(record('INSERT', { pk: 'd', sk: 'profile' }))).toBe(false);
    expect(filter(record('INSERT', { pk: 'd' }))).toBe(false);
    expect(filter({ eventName: 'INSERT' })).toBe(false);
  });

  it('reads patterns given as JSON strings, as CloudFormation holds them', () => {
    const filter = compileEventFilter([JSON.stringify({ eventName: ['INSERT'] })], 't');
    expect(filter(record('INSERT', {}))).toBe(true);
    expect(filter(record('MODIFY', {}))).toBe(false);
  });

  it('matches suffix, equals-ignore-case, anything-but, exists and numeric as documented', () => {
    const one = (rule: unknown, value: unknown) => compileEventFilter([{ v: [rule] }], 't')(value === undefined ? {} : { v: value });
    expect(one({ suffix: '.json' }, 'a.json')).toBe(true);
    expect(one({ suffix: '.json' }, 'a.xml')).toBe(false);
    expect(one({ 'equals-ignore-case': 'Insert' }, 'INSERT')).toBe(true);
    expect(one({ 'anything-but': ['REMOVE'] }, 'INSERT')).toBe(true);
    expect(one({ 'anything-but': ['REMOVE'] }, 'REMOVE')).toBe(false);
    expect(one({ 'anything-but': { prefix: 'tmp' } }, 'tmp1')).toBe(false);
    expect(one({ exists: true }, 'x')).toBe(true);
    expect(one({ exists: true }, undefined)).toBe(false);
    expect(one({ exists: false }, undefined)).toBe(true);
    expect(one({ exists: false }, 'x')).toBe(false);
    expect(one({ numeric: ['>', 0, '<=', 5] }, 5)).toBe(true);
    expect(one({ numeric: ['>', 0, '<=', 5] }, 6)).toBe(false);
    // A DynamoDB N is a string in the record: numeric rules do not match it.
    expect(one({ numeric: ['>', 0] }, '3')).toBe(false);
    // A list in the event matches if one of its elements does.
    expect(one('b', ['a', 'b'])).toBe(true);
  });

  it('refuses an operator it does not emulate, and more patterns than Lambda takes', () => {
    expect(() => compileEventFilter([{ v: [{ wildcard: '*.json' }] }], 'fn')).toThrow(/does not emulate the filter operator "wildcard"/);
    expect(() => compileEventFilter(Array.from({ length: 6 }, () => ({ v: ['x'] })), 'fn')).toThrow(/at most 5/);
  });

  it("compiles every pattern serverless.yml gives a stream, and the folders' patterns keep what their handlers fold", () => {
    const config = loadServiceConfig('serverless.yml', { stage: 'qa' });
    const mappings = config.functions.flatMap((fn) => fn.stream.map((mapping) => ({ fn: fn.name, arn: JSON.stringify(mapping.arn), filter: compileEventFilter(mapping.filterPatterns, fn.name) })));
    expect(mappings.length).toBeGreaterThan(0);
    const devicesFolder = mappings.find((m) => m.fn === 'devicesFolder');
    const mac = '02:00:00:00:00:01';
    const sighting = { pk: devicePartition(mac), sk: `${PACKET_SIGHTING_PREFIX}ingest-1` };
    expect(devicesFolder?.filter(record('INSERT', sighting))).toBe(true);
    expect(devicesFolder?.filter(record('REMOVE', sighting))).toBe(false);
    expect(devicesFolder?.filter(record('INSERT', indexKey(mac)))).toBe(false);
    const flowsFolder = mappings.find((m) => m.fn === 'flowsFolder');
    expect(flowsFolder?.filter(record('INSERT', { pk: `${PENDING_PREFIX}500000#0`, sk: 'delta' }))).toBe(true);
    expect(flowsFolder?.filter(record('INSERT', { pk: 'hour#500000', sk: 'total' }))).toBe(false);
    // The broadcaster hears of new connections, not of its own notes of recent devices in the same table.
    const newConnections = mappings.find((m) => m.fn === 'liveBroadcaster' && m.arn.includes('LiveConnectionsTable'));
    expect(newConnections?.filter(record('INSERT', connectionKey('conn-1')))).toBe(true);
    expect(newConnections?.filter(record('REMOVE', connectionKey('conn-1')))).toBe(false);
    expect(newConnections?.filter(record('INSERT', { pk: recentPartition(0), sk: `1970-01-01T00:00:00.000Z#${mac}` }))).toBe(false);
  });
});
