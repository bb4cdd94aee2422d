import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseInventoryRequest } from '../../functions/devices/inventory-schema.ts';
import { parseNetify } from '../../functions/devices/netify.ts';
import { parseFlowRequest } from '../../functions/flows/flow-schema.ts';
import { parseVpcFlowLogs } from '../../functions/flows/vpc-flow-logs.ts';
import { parsePacketRequest } from '../../functions/packets/packet-schema.ts';
import { MAX_LISTED_REJECTIONS, preferenceApplied, preferredHandling, settle } from '../../functions/shared/lenient.ts';
import { rejection } from '../helpers/rejection.ts';

const packet = JSON.parse(readFileSync('events/packets/udp-ipv4.json', 'utf8')) as Record<string, unknown>;
const flow = { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 300, hour: 1 };
// The seed-004 network server's own device list, as it answers GET /devices/: a malformed MAC in SW1.
const networkServerDevices = [
  { device_type: 'Router', id: 1, ip_address: '172.16.101.1', operating_system: 'Cisco IOS', host_name: 'RT1', mac_address: '00:1B:44:11:3A:B7', download_speed: 12, upload_speed: 9, active_connection: true },
  { device_type: 'Switch', id: 2, ip_address: '172.16.101.2', operating_system: 'Cisco IOS', host_name: 'SW1', mac_address: '00:1B:44:11:5R:B8', download_speed: 38, upload_speed: 12, active_connection: true },
];
const vpcLine = (bytes: string, start = '3600') => `2 123 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 ${bytes} ${start} 3660 ACCEPT OK`;

describe('Prefer: handling (RFC 7240)', () => {
  it.each([
    [undefined, 'strict'],
    ['handling=lenient', 'lenient'],
    ['HANDLING=Lenient', 'lenient'],
    ['handling="lenient"', 'lenient'],
    ['respond-async, handling=lenient', 'lenient'],
    ['respond-async,handling=lenient;foo=bar', 'lenient'],
    ['wait=10; handling=lenient', 'strict'], // a parameter of `wait`, not a preference
    ['handling=strict', 'strict'],
    ['handling=strict, handling=lenient', 'strict'], // only the first instance counts
    ['handling=lenient, handling=strict', 'lenient'],
    ['handling', 'strict'],
    ['return=minimal', 'strict'],
    ['foo="a,handling=lenient"', 'strict'], // inside a quoted value
  ])('Prefer %j is %s', (prefer, expected) => {
    expect(preferredHandling(prefer === undefined ? {} : { prefer })).toBe(expected);
  });

  it('says Preference-Applied only when lenient handling was applied', () => {
    expect(preferenceApplied({ rejected: [] })).toEqual({ 'preference-applied': 'handling=lenient' });
    expect(preferenceApplied({})).toEqual({});
  });
});

describe('settle', () => {
  const details = [
    { record: 2, field: 'a', message: 'first problem of record 2' },
    { record: 2, field: 'b', message: 'second problem of record 2' },
    { record: 0, message: 'record 0 is not an object' },
  ];

  it('strict: a 400 naming the first problem and listing them all', () => {
    const error = rejection(() => settle(['x'], details, 'strict', 'record'));
    expect(error.status).toBe(400);
    expect(error.message).toBe('record 2 field a: first problem of record 2');
    expect(error.details).toEqual(details);
  });

  it('lenient: one entry per rejected record, its first problem, in record order', () => {
    expect(settle(['x'], details, 'lenient', 'record')).toEqual({
      records: ['x'],
      rejected: [
        { record: 0, message: 'record 0 is not an object' },
        { record: 2, field: 'a', message: 'first problem of record 2' },
      ],
    });
  });

  it('lenient with nothing wrong still lists (no) rejections', () => {
    expect(settle(['x'], [], 'lenient', 'record')).toEqual({ records: ['x'], rejected: [] });
    expect(settle(['x'], [], 'strict', 'record')).toEqual({ records: ['x'] });
  });

  it('caps the list and counts the rest', () => {
    const many = Array.from({ length: MAX_LISTED_REJECTIONS + 5 }, (_, i) => ({ line: i + 1, message: 'bad' }));
    const settled = settle([], many, 'lenient', 'line');
    expect(settled.rejected).toHaveLength(MAX_LISTED_REJECTIONS);
    expect(settled.rejected_omitted).toBe(5);
    expect(settled.rejected?.[0]).toEqual({ record: 0, line: 1, message: 'bad' });
  });
});

describe('lenient parsing of each bulk format', () => {
  it('packets: keeps the valid ones, names the bad record and field', () => {
    const bad = { ...packet, UDP: { ...(packet.UDP as object), Source_Port: 'x' } };
    const settled = parsePacketRequest([packet, bad, { Bogus: {} }, packet], 'lenient');
    expect(settled.records).toHaveLength(2);
    expect(settled.rejected).toEqual([
      { record: 1, field: 'UDP.Source_Port', message: expect.any(String) },
      { record: 2, field: 'Bogus', message: expect.stringContaining('unknown layer') },
    ]);
    expect(rejection(() => parsePacketRequest([packet, bad], 'strict')).details[0]).toMatchObject({ record: 1, field: 'UDP.Source_Port' });
  });

  it('packets: a body that is no packet list is a 400 either way', () => {
    expect(rejection(() => parsePacketRequest([], 'lenient')).status).toBe(400);
    expect(rejection(() => parsePacketRequest(Array(1001).fill(packet), 'lenient')).status).toBe(400);
  });

  it('flows (JSON)', () => {
    const settled = parseFlowRequest([flow, { ...flow, bytes_tx: '100' }, { ...flow, hour: -1 }], 'lenient');
    expect(settled.records).toEqual([flow]);
    expect(settled.rejected).toEqual([
      { record: 1, field: 'bytes_tx', message: expect.any(String) },
      { record: 2, field: 'hour', message: expect.any(String) },
    ]);
    expect(rejection(() => parseFlowRequest({}, 'lenient')).status).toBe(400);
  });

  it('flows (VPC Flow Logs text): lines, with skipped NODATA still counted', () => {
    const text = [vpcLine('100'), vpcLine('1e3'), '2 123 eni-1 - - - - - - - 1 2 - NODATA', '2 123 eni-1 10.0.0.1', vpcLine('7', '7200')].join('\n');
    const settled = parseVpcFlowLogs(text, 'lenient');
    expect(settled.records.map((r) => r.bytes_tx)).toEqual([100, 7]);
    expect(settled.skipped).toBe(1);
    expect(settled.rejected).toEqual([
      { record: 1, line: 2, field: 'bytes', message: expect.any(String) },
      { record: 3, line: 4, message: 'expected 14 fields, got 4' },
    ]);
    expect(rejection(() => parseVpcFlowLogs(text)).details[0]).toMatchObject({ line: 2, field: 'bytes' });
    // A header that lacks what a record needs is no list of records: 400 either way.
    expect(rejection(() => parseVpcFlowLogs('version srcaddr dstaddr bytes\n2 1.1.1.1 2.2.2.2 10', 'lenient')).status).toBe(400);
  });

  it('netify lines', () => {
    const text = readFileSync('events/netify/agent.ndjson', 'utf8');
    const clean = parseNetify(text, 'lenient');
    expect(clean.rejected).toEqual([]);
    const settled = parseNetify(`${text}{"type":"flow","flow":{"digest":"d","local_mac":"nope"}}\nnot json\n`, 'lenient');
    expect(settled.records).toHaveLength(clean.records.length);
    expect(settled.skipped).toBe(clean.skipped);
    const lines = text.split('\n').length;
    expect(settled.rejected).toEqual([
      { record: lines - 1, line: lines, field: 'flow.local_mac', message: expect.any(String) },
      { record: lines, line: lines + 1, message: expect.stringMatching(/^not JSON/) },
    ]);
  });

  it("inventory: the network server's own list, malformed MAC and all", () => {
    const settled = parseInventoryRequest(networkServerDevices, 'lenient');
    expect(settled.records).toEqual([{ host_name: 'RT1', device_type: 'Router', operating_system: 'Cisco IOS', mac_address: '00:1b:44:11:3a:b7', ip_address: '172.16.101.1' }]);
    expect(settled.rejected).toEqual([{ record: 1, field: 'mac_address', message: expect.stringContaining('00:1B:44:11:5R:B8') }]);
    const strict = rejection(() => parseInventoryRequest(networkServerDevices, 'strict'));
    expect(strict.details).toEqual([{ record: 1, field: 'mac_address', message: expect.any(String) }]);
    expect(rejection(() => parseInventoryRequest([{ ...networkServerDevices[0], colour: 'red' }], 'strict')).details[0]).toMatchObject({ record: 0, field: 'colour' });
    expect(parseInventoryRequest(['x'], 'lenient').rejected).toEqual([{ record: 0, message: 'an inventory record must be a JSON object' }]);
  });
});
