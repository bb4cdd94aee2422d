import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DEFAULT_VIEW_LIMITS, buildDeviceView, jsonBytes, newestApplications } from '../../functions/devices/view.ts';
import { resolveProtocol } from '../../functions/packets/protocols.ts';
import { decodeCursor, encodeCursor, sortKey } from '../../functions/packets/storage.ts';
import { MAX_CURSOR_LENGTH, decodeCursorText, encodeCursorText, isKeyValue } from '../../functions/shared/cursor.ts';
import { HttpError } from '../../functions/shared/errors.ts';
import { pathParameter } from '../../functions/shared/path-parameters.ts';

const eventWith = (pathParameters: Record<string, string>) => ({ pathParameters }) as unknown as APIGatewayProxyEventV2;

describe('protocol names are looked up, not indexed', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__PROTO__'])('%s is unknown', (name) => {
    expect(resolveProtocol(name)).toBeUndefined();
  });

  it('keeps the legacy aliases', () => {
    expect([resolveProtocol('i_pv4'), resolveProtocol('I_PV6'), resolveProtocol('af__packet')]).toEqual(['IPv4', 'IPv6', 'AF_Packet']);
  });
});

describe('path parameters', () => {
  it.each(['%', '%E0%A4%A', '%zz', 'ab%'])('%j is a 400', (raw) => {
    let thrown: unknown;
    try {
      pathParameter(eventWith({ mac: raw }), 'mac');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(HttpError);
    expect((thrown as HttpError).status).toBe(400);
  });

  it('decodes valid percent-encoding', () => {
    expect(pathParameter(eventWith({ protocol: 'I%50v4' }), 'protocol')).toBe('IPv4');
    expect(pathParameter(eventWith({ mac: '3c%3A91%3a80:2b:68:23' }), 'mac')).toBe('3c:91:80:2b:68:23');
  });
});

describe('cursors', () => {
  it('round-trips the text it encodes, Unicode included', () => {
    for (const text of ['a', '00000000001742240607#abc:1', 'caf\u00e9|\u{1f600}', 'x'.repeat(1000)]) {
      expect(decodeCursorText(encodeCursorText(text))).toBe(text);
    }
  });

  it.each([
    ['over-long', 'A'.repeat(MAX_CURSOR_LENGTH + 1)],
    ['not base64url', 'abc$def'],
    ['padded', 'QQ=='],
    ['with stray trailing bits', 'QR'],
    ['not UTF-8', '_w'],
  ])('refuses a cursor %s', (_, cursor) => {
    expect(decodeCursorText(cursor)).toBeUndefined();
  });

  it('knows what DynamoDB takes as a key value', () => {
    expect(isKeyValue('a')).toBe(true);
    expect(isKeyValue('é'.repeat(512))).toBe(true);
    expect(isKeyValue('')).toBe(false);
    expect(isKeyValue('\ud800')).toBe(false);
    expect(isKeyValue('é'.repeat(513))).toBe(false);
  });

  it('packet view cursors: our own sort keys only, and short enough for DynamoDB', () => {
    const sk = sortKey(1742240607.972, '0f8fad5b-d9cb-469f-a165-70867728950e:12');
    expect(decodeCursor(encodeCursor(sk))).toBe(sk);
    expect(decodeCursor(encodeCursor(`${'0'.repeat(20)}#${'a'.repeat(2000)}`))).toBeUndefined();
    expect(decodeCursor(encodeCursor('00000000001742240607#a b'))).toBeUndefined();
    expect(decodeCursor('not a cursor')).toBeUndefined();
  });
});

describe('device views are bounded', () => {
  const mac = '02:ab:00:00:00:01';
  const apps = Array.from({ length: 300 }, (_, i) => ({
    sk: `app#d${String(i).padStart(4, '0')}`,
    digest: `d${String(i).padStart(4, '0')}`,
    app_name: 'n'.repeat(256),
    last_seen: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
  }));
  // How many applications the device has: its count shards, as the writer keeps them.
  const counts = [{ sk: 'apps#0', applications: 120 }, { sk: 'apps#3', applications: 180 }];
  const interfaces = Array.from({ length: 40 }, (_, i) => ({
    sk: `if#eth${i}`,
    eventTime: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    statistics: { name: `eth${i}`, description: 'd'.repeat(100_000) },
  }));

  it('shows the newest applications and interfaces, counts them all, and stays small', () => {
    const stats = new Map([['d0299', { bytes_up: 2, bytes_dn: 3, pkts_up: 1, pkts_dn: 1, last_seen: '2026-01-01T00:00:00.000Z' }]]);
    const view = buildDeviceView(mac, [{ sk: 'profile', host_name: 'h' }, ...counts, ...apps, ...interfaces], [], stats);
    expect(view.applications).toHaveLength(DEFAULT_VIEW_LIMITS.applications);
    expect(view.applications_total).toBe(300);
    expect(view.applications[0]).toMatchObject({ digest: 'd0299', bytes_ttl: 5, pkts_ttl: 2, last_seen: '2026-01-01T00:00:00.000Z' });
    expect(view.applications.map((a) => a.digest)).toEqual(apps.slice(200).reverse().map((a) => a.digest));
    // 20 interfaces of 100 kB would pass the 1 MB statistics budget: the newest 9 fit.
    expect(view.interfaces_total).toBe(40);
    expect(view.interfaces.map((i) => i.name)).toEqual(Array.from({ length: 9 }, (_, i) => `eth${39 - i}`));
    expect(jsonBytes(view)).toBeLessThan(1_100_000);
  });

  it('takes the limits it is given', () => {
    const view = buildDeviceView(mac, [...counts, ...apps, ...interfaces], [], new Map(), { applications: 0, interfaces: 0, interfaceBytes: 1_000_000 });
    expect(view).toMatchObject({ applications: [], applications_total: 300, interfaces: [], interfaces_total: 40 });
  });

  it('orders applications without last_seen after the rest', () => {
    const chosen = newestApplications([{ sk: 'app#b', digest: 'b' }, { sk: 'app#a', digest: 'a', last_seen: '2025-01-01T00:00:00.000Z' }], 1);
    expect(chosen.map((a) => a.digest)).toEqual(['a']);
  });

  it('keeps sums past 2^53 exact', () => {
    const view = buildDeviceView(mac, [{ sk: 'app#x', digest: 'x', app_name: 'a' }], [], new Map([['x', { bytes_up: 2n ** 60n, bytes_dn: 1, pkts_up: 1, pkts_dn: 2 }]]));
    expect(view.applications[0]).toMatchObject({ bytes_ttl: 2n ** 60n + 1n, pkts_ttl: 3 });
  });
});
