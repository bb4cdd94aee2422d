import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { parseJson, stringifyJson } from '../../functions/shared/json.ts';
import { TEST_API_KEY, eventually, startTestRuntime } from '../helpers/runtime.ts';

/**
 * One case per class of input that a writer once could not store: each is now either stored,
 * exactly, or refused at ingest with a 400 naming the record and field (and nothing queued).
 */
let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime();
});
afterAll(async () => runtime?.stop());

const seed = readFileSync('events/notifications/seed-interfaces.json', 'utf8');

async function post(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': TEST_API_KEY }, body });
  return { status: response.status, text: await response.text() };
}

async function getText(path: string): Promise<string> {
  const response = await fetch(`${runtime.url}${path}`, { headers: { 'x-api-key': TEST_API_KEY } });
  expect(response.status).toBe(200);
  return response.text();
}

/** A notification whose free-form payload holds the given leaves, tagged to be found again. */
function freeFormNotification(leaves: Record<string, unknown>, eventTime = '2025-06-01T00:00:00Z'): { tag: string; body: string } {
  const tag = `tag-${randomUUID()}`;
  return { tag, body: stringifyJson({ 'ietf-https-notif:notification': { eventTime, 'example:event': { tag, ...leaves } } }) };
}

/** The stored notification holding the tag, as the JSON text GET /notifications answers it. */
async function storedNotification(tag: string): Promise<string> {
  return eventually(async () => {
    for (let path: string | undefined = '/notifications?limit=100'; path !== undefined; ) {
      const page = parseJson(await getText(path)) as { items: unknown[]; next: string | null };
      const found = page.items.map((item) => stringifyJson(item)).find((text) => text.includes(tag));
      if (found !== undefined) return found;
      path = page.next === null ? undefined : `/notifications?limit=100&cursor=${encodeURIComponent(page.next)}`;
    }
    return undefined;
  }, 30_000, `notification ${tag}`);
}

const notify = (body: string) => post('/relay-notification', body, 'application/yang-data+json');

describe('flow records', () => {
  it('sums past 2^53 and past 2^64 are stored exact and answered as exact JSON integers', async () => {
    const hour = 700_000 + Math.floor(Math.random() * 100_000);
    const record = { src_app: 'big', dest_app: 'sum', vpc_id: `vpc-${randomUUID()}`, hour };
    const body = `[${JSON.stringify(record).slice(0, -1)},"bytes_tx":18446744073709551615,"bytes_rx":9007199254740993},${JSON.stringify(record).slice(0, -1)},"bytes_tx":1,"bytes_rx":9007199254740993}]`;
    expect((await post('/flows', body)).status).toBe(202);
    const text = await eventually(async () => {
      const answer = await getText(`/flows?hour=${hour}`);
      return answer.includes('"bytes_tx":18446744073709551616') ? answer : undefined;
    }, 30_000, 'the exact sum');
    expect(text).toContain('"bytes_rx":18014398509481986');
  });

  it('bytes beyond 2^64 - 1 are a 400 naming record and field', async () => {
    const { status, text } = await post('/flows', '[{"src_app":"a","dest_app":"b","vpc_id":"v","hour":1,"bytes_tx":18446744073709551616,"bytes_rx":0}]');
    expect(status).toBe(400);
    expect(parseJson(text)).toMatchObject({ error: { details: [{ record: 0, field: 'bytes_tx' }] } });
  });

  it('names of any plane of Unicode are stored, never answered 503', async () => {
    const hour = 800_000 + Math.floor(Math.random() * 100_000);
    const name = `😀 ${randomUUID()} 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{10FFFD}`;
    expect((await post('/flows', JSON.stringify([{ src_app: name, dest_app: 'constructor', vpc_id: 'vpc-u', hour, bytes_tx: 1, bytes_rx: 2 }]))).status).toBe(202);
    await eventually(async () => ((await getText(`/flows?hour=${hour}`)).includes(JSON.stringify(name).slice(1, -1)) ? true : undefined), 30_000, 'the emoji flow');
  });
});

describe('notifications', () => {
  it('interfaces sharing one phys-address (a bond and its VLAN) are stored, each its own', async () => {
    const n = JSON.parse(seed);
    const content = n['ietf-https-notif:notification'];
    content.eventTime = '2025-06-02T00:00:00Z';
    const [first, second] = content.interface_data.interface;
    second['phys-address'] = first['phys-address'];
    const tag = `tag-${randomUUID()}`;
    first.description = tag;
    expect((await notify(JSON.stringify(n))).status).toBe(204);
    const stored = parseJson(await storedNotification(tag)) as { interfaces: { name: string; 'phys-address': string }[] };
    expect(stored.interfaces.filter((i) => i['phys-address'] === first['phys-address']).map((i) => i.name)).toEqual([first.name, second.name]);
  });

  it('a date that does not exist in the calendar is a 400 naming eventTime', async () => {
    const { status, text } = await notify(freeFormNotification({}, '2025-02-30T00:00:00Z').body);
    expect(status).toBe(400);
    expect(text).toContain('eventTime');
  });

  it('a 100,000-character interface name is a 400 naming the interface', async () => {
    const n = JSON.parse(seed);
    n['ietf-https-notif:notification'].interface_data.interface[0].name = 'x'.repeat(100_000);
    const { status, text } = await notify(JSON.stringify(n));
    expect(status).toBe(400);
    // The error names the interface without echoing 100,000 characters back.
    expect(text.length).toBeLessThan(2_000);
    expect(text).toMatch(/interface\[x+…\]/);
    expect(text).toContain('name');
  });

  it('leaves named like Object.prototype members and integers past 2^53 are stored exactly', async () => {
    const { tag, body } = freeFormNotification({ constructor: 'c', toString: { valueOf: 1 }, big: 123456789012345678901234567890n });
    expect((await notify(body)).status).toBe(204);
    const stored = parseJson(await storedNotification(tag)) as { content: Record<string, unknown> };
    // A map's members come back in the table's order, not the publisher's.
    expect(stored.content['example:event']).toEqual({ tag, constructor: 'c', toString: { valueOf: 1 }, big: 123456789012345678901234567890n });
  });

  it('a number beyond what a table holds is a 400 naming its leaf', async () => {
    const { status, text } = await notify(freeFormNotification({ far: 1e126 }).body);
    expect(status).toBe(400);
    expect(text).toContain('far');
  });
});

describe('Netify', () => {
  it('bytes past 2^53 add up exactly in the device view', async () => {
    const mac = `02:${randomUUID().replace(/-/g, '').slice(0, 10).match(/../g)?.join(':')}`;
    const digest = randomUUID();
    const lines = [
      JSON.stringify({ type: 'flow', flow: { digest, local_mac: mac, local_ip: '192.0.2.9', detected_application_name: 'netify.big' } }),
      `{"type":"flow_stats","flow":{"digest":"${digest}","local_bytes":9007199254740993,"other_bytes":1}}`,
      `{"type":"flow_stats","flow":{"digest":"${digest}","local_bytes":18446744073709551615,"other_bytes":1}}`,
    ].join('\n');
    expect((await post('/netify', lines, 'application/x-ndjson')).status).toBe(202);
    await eventually(async () => {
      const text = await getText(`/devices/${mac}`);
      return text.includes('"bytes_up":18455751272964292608') ? true : undefined;
    }, 30_000, 'the exact Netify sum');
  });
});
