import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeNotification, type Encoding } from '../../functions/notifications/decode.ts';
import { normalizeNotification } from '../../functions/notifications/notification.ts';
import { deviceReadings, historyCursor, notificationItems, sortKey } from '../../functions/notifications/storage.ts';
import type { Envelope } from '../../functions/shared/queue-envelope.ts';
import { rejection } from '../helpers/rejection.ts';

const NC = 'urn:ietf:params:xml:ns:netconf:notification:1.0';
const IF = 'urn:ietf:params:xml:ns:yang:ietf-interfaces';
const seedJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
const seedXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');
/** RFC 5277 root, RFC 8343 interfaces in their namespace, one interface eth0 (if-index 2). */
const singleXml = readFileSync('events/notifications/rfc8343-single.xml', 'utf8');
const singleJson = readFileSync('events/notifications/rfc8343.json', 'utf8');

const normalize = (text: string, encoding: Encoding) => normalizeNotification(decodeNotification(text, encoding), encoding);
const decodeXml = (text: string) => decodeNotification(text, 'xml');

/** rfc8343.json with eth0's leaves changed (undefined removes one). */
function singleJsonWith(leaves: Record<string, unknown>, eventTime?: string): string {
  const n = JSON.parse(singleJson);
  const content = n['ietf-https-notif:notification'];
  if (eventTime !== undefined) content.eventTime = eventTime;
  Object.assign(content['ietf-interfaces:interfaces'].interface[0], leaves);
  return JSON.stringify(n);
}

/** rfc8343-single.xml with eth0's `<name>` replaced by the given markup (more leaves may follow it). */
const singleXmlWith = (markup: string) => singleXml.replace('<name>eth0</name>', markup);

describe('XML character references', () => {
  it('decodes the predefined entities and decimal and hex references, as JSON would carry the characters', () => {
    const xml = normalize(singleXmlWith('<name>eth&#48;</name><description>R&amp;D &lt;lab&gt; &quot;a&quot; &apos;b&apos; &#x41;&#x1F600;</description>'), 'xml');
    expect(xml.interfaces?.[0]?.name).toBe('eth0');
    expect(xml.interfaces?.[0]?.description).toBe(`R&D <lab> "a" 'b' A\u{1F600}`);
    expect(xml).toEqual(normalize(singleJsonWith({ description: `R&D <lab> "a" 'b' A\u{1F600}` }), 'json'));
  });

  it('takes an if-index written as a reference', () => {
    const xml = normalize(singleXml.replace('<if-index>2</if-index>', '<if-index>&#49;</if-index>'), 'xml');
    expect(xml.interfaces?.[0]?.['if-index']).toBe(1);
  });

  it('decodes once: &amp;#48; is the text &#48;, and CDATA stays literal', () => {
    expect(normalize(singleXmlWith('<name>eth&amp;#48;</name>'), 'xml').interfaces?.[0]?.name).toBe('eth&#48;');
    expect(normalize(singleXmlWith('<name><![CDATA[eth&amp;]]>&amp;</name>'), 'xml').interfaces?.[0]?.name).toBe('eth&amp;&');
  });

  it('decodes references in namespace declarations too', () => {
    const escaped = singleXml.replace(`xmlns="${NC}"`, `xmlns="urn:ietf:params:xml:ns:netconf:notification&#x3A;1.0"`);
    expect(normalize(escaped, 'xml')).toEqual(normalize(singleXml, 'xml'));
  });

  it.each([
    ['&#0;', /&#0;.*U\+0000/],
    ['&#1;', /&#1;.*U\+0001/],
    ['&#xD800;', /&#xD800;.*U\+D800/],
    ['&#xFFFE;', /&#xFFFE;.*U\+FFFE/],
    ['&#x110000;', /&#x110000;/],
    ['&#99999999999999999999;', /&#99999999999999999999;/],
    ['&#X41;', /&#X41;.*not a character reference/],
    ['&#x;', /&#x;.*not a character reference/],
    ['&#;', /&#;.*not a character reference/],
    ['&#12a;', /&#12a;.*not a character reference/],
    ['&foo;', /&foo;.*predefined/],
    ['&nbsp;', /&nbsp;.*predefined/],
  ])('refuses %s with a 400 naming it, not storing it', (reference, message) => {
    const error = rejection(() => normalize(singleXmlWith(`<name>eth${reference}</name>`), 'xml'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });

  it('names a malformed reference on whatever line it is, and a bare &', () => {
    for (const [markup, message] of [
      ['<name>eth&#X41;</name>', /&#X41;.*not a character reference/],
      ['<name>AT&T rocks</name>', /&T, which is an & that starts no reference/],
    ] as const) {
      for (const body of [singleXmlWith(markup), singleXmlWith(markup).replace(/\n/g, '\r\n')]) {
        const error = rejection(() => decodeXml(body));
        expect(error.status).toBe(400);
        expect(error.message).toMatch(message);
      }
    }
  });

  it('refuses an invalid reference in an attribute as well', () => {
    const error = rejection(() => decodeXml(singleXmlWith('<name a="&#0;">eth0</name>')));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/&#0;/);
  });
});

describe('XML text kept as sent', () => {
  it('keeps the spaces around a value, so the interface has the same name as in JSON', () => {
    const xml = normalize(singleXmlWith('<name> eth1 </name><description>  two  spaces  </description>'), 'xml');
    expect(xml.interfaces?.[0]?.name).toBe(' eth1 ');
    expect(xml.interfaces?.[0]?.description).toBe('  two  spaces  ');
    expect(xml).toEqual(normalize(singleJsonWith({ name: ' eth1 ', description: '  two  spaces  ' }), 'json'));
  });

  it('keeps a value of spaces only, and a line break inside a value', () => {
    const xml = normalize(singleXmlWith('<name>eth0</name><description>   </description>'), 'xml');
    expect(xml.interfaces?.[0]?.description).toBe('   ');
    expect(normalize(singleXmlWith('<name>eth0</name><description>a\r\n b</description>'), 'xml').interfaces?.[0]?.description).toBe('a\n b');
  });

  it('reads indented, compact, CRLF and space-indented forms of the same notification alike', () => {
    const tabbed = normalize(seedXml, 'xml');
    expect(tabbed.interfaces).toHaveLength(7);
    expect(tabbed.interfaces?.[0]).toMatchObject({ name: 'wlp2s0', type: '1', enabled: true, 'if-index': 2 });
    for (const form of [seedXml.replace(/>\s+</g, '><'), seedXml.replace(/\n/g, '\r\n'), seedXml.replace(/\t/g, '  '), ` \n${seedXml}\n\n`]) {
      expect(normalize(form, 'xml')).toEqual(tabbed);
    }
    expect(normalize(singleXml.replace(/>\s+</g, '><'), 'xml')).toEqual(normalize(singleJson, 'json'));
  });

  it('refuses text mixed with child elements, which YANG data never has, rather than dropping either', () => {
    const error = rejection(() => decodeXml(singleXml.replace('<statistics>', '<statistics>stray text')));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/<statistics> mixes text with child elements/);
  });
});

describe('XML namespace prefixes', () => {
  const prefixed = `<nc:notification xmlns:nc="${NC}">
  <nc:eventTime>2025-03-17T22:34:58.812159Z</nc:eventTime>
  <if:interfaces xmlns:if="${IF}">
    <if:interface>
      <if:name>eth0</if:name>
      <if:type>ianaift:ethernetCsmacd</if:type>
      <if:admin-status>up</if:admin-status>
      <if:oper-status>up</if:oper-status>
      <if:if-index>2</if:if-index>
      <if:phys-address>52:54:00:12:34:56</if:phys-address>
      <if:speed>1000000000</if:speed>
      <if:statistics>
        <if:discontinuity-time>2025-03-17T20:00:00Z</if:discontinuity-time>
        <if:in-octets>123456789</if:in-octets>
        <if:out-octets>987654321</if:out-octets>
        <if:in-errors>0</if:in-errors>
      </if:statistics>
    </if:interface>
  </if:interfaces>
</nc:notification>`;

  it('decodes a prefixed RFC 5277 root and prefixed content exactly as the default-namespace form', () => {
    expect(decodeXml(prefixed)).toEqual(decodeXml(singleXml));
    expect(normalize(prefixed, 'xml')).toEqual(normalize(singleJson, 'json'));
  });

  it('resolves each prefix through the declarations in scope, wherever they are made', () => {
    // The root prefixed, the content in a default namespace declared below it.
    const mixed = singleXml.replace(`<notification xmlns="${NC}">`, `<n:notification xmlns:n="${NC}">`).replace('</notification>', '</n:notification>');
    expect(decodeXml(mixed)).toEqual(decodeXml(singleXml));
    // Both prefixes declared on the root; the same prefix rebound lower down.
    const onRoot = prefixed.replace(`<nc:notification xmlns:nc="${NC}">`, `<nc:notification xmlns:nc="${NC}" xmlns:if="urn:example:other">`);
    expect(decodeXml(onRoot)).toEqual(decodeXml(singleXml));
    const declaredOnRoot = prefixed.replace(`<nc:notification xmlns:nc="${NC}">`, `<nc:notification xmlns:nc="${NC}" xmlns:if="${IF}">`).replace(` xmlns:if="${IF}">\n    <if:interface>`, '>\n    <if:interface>');
    expect(decodeXml(declaredOnRoot)).toEqual(decodeXml(singleXml));
  });

  it('leaves an interfaces container of another namespace as other content', () => {
    const other = singleXml.replace(`<interfaces xmlns="${IF}">`, '<interfaces xmlns="urn:example:other">');
    const notification = normalize(other, 'xml');
    expect(notification.interfaces).toBeUndefined();
    expect(notification.content).toHaveProperty('interfaces.interface.0.name', 'eth0');
  });

  it.each([
    ['a root prefix bound to another namespace', `<nc:notification xmlns:nc="urn:example"><nc:eventTime>2025-03-17T19:43:27Z</nc:eventTime></nc:notification>`, /root must be .*got <nc:notification> in namespace "urn:example"/],
    ['an undeclared root prefix', `<nc:notification><nc:eventTime>2025-03-17T19:43:27Z</nc:eventTime></nc:notification>`, /root must be .*got <nc:notification>, whose prefix "nc" is not declared/],
    ['a declared prefix the root does not use', `<notification xmlns:nc="${NC}"><eventTime>2025-03-17T19:43:27Z</eventTime></notification>`, /root must be .*got <notification> in no namespace/],
  ])('refuses %s', (_, body, message) => {
    const error = rejection(() => decodeXml(body));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(message);
  });
});

describe('XML attributes', () => {
  it('drops attributes: an element with attributes and no text is "", as <description/> is', () => {
    const withLang = normalize(singleXmlWith('<name>eth0</name><description xml:lang="en"></description>'), 'xml');
    expect(withLang.interfaces?.[0]?.description).toBe('');
    expect(withLang).toEqual(normalize(singleXmlWith('<name>eth0</name><description/>'), 'xml'));
    expect(withLang).toEqual(normalize(singleXmlWith('<name>eth0</name><description xml:lang="en"/>'), 'xml'));
    expect(withLang).toEqual(normalize(singleJsonWith({ description: '' }), 'json'));
  });

  it('keeps the text or children of an element with attributes', () => {
    const xml = normalize(
      singleXmlWith('<name a="1">eth0</name><description xml:lang="en"> x </description>').replace('<statistics>', '<statistics b="2">').replace('<if-index>', '<if-index c="3">'),
      'xml',
    );
    expect(xml.interfaces?.[0]).toMatchObject({ name: 'eth0', description: ' x ', 'if-index': 2, statistics: { 'in-octets': '123456789' } });
  });
});

describe('leap seconds (RFC 3339 second 60)', () => {
  const leap = '2016-12-31T23:59:60Z';
  const leapXml = singleXml.replace(/<eventTime>[^<]*<\/eventTime>/, `<eventTime>${leap}</eventTime>`);
  const leapJson = singleJsonWith({}, leap);

  it('accepts second 60 at the end of a UTC month, in JSON and XML alike', () => {
    const json = normalize(leapJson, 'json');
    expect(json.eventTime).toBe(leap);
    expect(normalize(leapXml, 'xml')).toEqual(json);
    for (const time of ['2016-12-31T15:59:60-08:00', '2017-01-01T05:29:60.5+05:30', '2015-06-30T23:59:60.123456Z']) {
      expect(normalize(singleJsonWith({}, time), 'json').eventTime).toBe(time);
    }
    const discontinuity = JSON.parse(singleJson);
    discontinuity['ietf-https-notif:notification']['ietf-interfaces:interfaces'].interface[0].statistics['discontinuity-time'] = leap;
    expect(normalize(JSON.stringify(discontinuity), 'json').interfaces?.[0]?.statistics['discontinuity-time']).toBe(leap);
  });

  it.each([
    ['second 60 in the middle of a day', '2025-03-17T10:15:60Z', /leap second/],
    ['second 60 at the end of a day that ends no month', '2016-12-30T23:59:60Z', /leap second/],
    ['second 60 one minute early', '2016-12-31T23:58:60Z', /leap second/],
    ['second 61', '2016-12-31T23:59:61Z', /date and time that exists/],
  ])('refuses %s', (_, time, message) => {
    const error = rejection(() => normalize(singleJsonWith({}, time), 'json'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(new RegExp(`eventTime .*${message.source}`));
  });

  const envelope = { ingestId: 'ingest-1' } as Envelope;

  it('stores the leap second as 23:59:59.999 of its minute: keys sort between the seconds around it, whatever the offset', () => {
    expect(sortKey(leap, 'i', 0)).toBe('2016-12-31T23:59:59.999Z#i#0');
    expect(sortKey('2016-12-31T15:59:60-08:00', 'i', 0)).toBe(sortKey(leap, 'i', 0));
    expect(sortKey('2016-12-31T23:59:60.7Z', 'i', 0)).toBe(sortKey(leap, 'i', 0));
    const around = ['2017-01-01T00:00:00Z', leap, '2016-12-31T23:59:59.5Z'].map((t) => sortKey(t, 'i', 0));
    expect([...around].sort()).toEqual([around[2], around[1], around[0]]);
    expect(historyCursor.decode(historyCursor.encode(sortKey(leap, 'ingest-1', 0)))).toBe(sortKey(leap, 'ingest-1', 0));
  });

  it('gives the same keys and device readings for the JSON and the XML form, so a repeat is the same reading', () => {
    const json = normalize(leapJson, 'json');
    const xml = normalize(leapXml, 'xml');
    const keys = (n: typeof json) => notificationItems(envelope, n, 0, 4, 0).map((item) => `${item.pk} ${item.sk}`);
    expect(keys(xml)).toEqual(keys(json));
    expect(keys(json)[0]).toMatch(/ 2016-12-31T23:59:59\.999Z#ingest-1#0$/);
    expect(deviceReadings(xml)).toEqual(deviceReadings(json));
    expect(deviceReadings(json).map((r) => r.eventTime)).toEqual(['2016-12-31T23:59:59.999Z']);
  });
});

describe('times whose offset takes them out of the years 0000-9999', () => {
  it.each([
    ['into the year 10000', '9999-12-31T23:00:00-05:00'],
    ['before the year 0000', '0000-01-01T00:30:00+01:00'],
  ])('refuses one %s in UTC, whose key would sort apart from all others', (_, time) => {
    const error = rejection(() => normalize(singleJsonWith({}, time), 'json'));
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/eventTime .*outside the years 0000 to 9999/);
  });

  it('takes the last and first instants inside them, with or without an offset', () => {
    for (const time of ['9999-12-31T18:59:59-05:00', '9999-12-31T23:59:59.999Z', '0000-01-01T00:00:00Z', '0000-01-01T00:00:00-01:00']) {
      expect(normalize(singleJsonWith({}, time), 'json').eventTime).toBe(time);
    }
  });
});
