import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { TEST_API_KEY, eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

let runtime: LocalRuntime;
let base: string;

beforeAll(async () => {
  runtime = await startTestRuntime();
  base = runtime.url;
});
afterAll(async () => runtime?.stop());

const byKey = <T,>(rows: T[]) => [...rows].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

async function hourWhen(path: string, expectedRows: number) {
  return eventually(async () => {
    const { status, body } = await getJson(base, path);
    return status === 200 && body.length === expectedRows ? body : undefined;
  }, 20_000, `${path} to have ${expectedRows} rows`);
}

async function postText(path: string, body: string) {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'text/plain', 'x-api-key': TEST_API_KEY }, body });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('flow logs over HTTP', () => {
  it("answers the seed's canonical example with its known aggregates", async () => {
    const seed = JSON.parse(readFileSync('events/flows/seed-example.json', 'utf8'));
    expect(await postJson(base, '/flows', seed)).toMatchObject({ status: 202, body: { accepted: 5 } });
    await hourWhen('/flows?hour=2', 2);
    await eventually(async () => {
      const { body } = await getJson(base, '/flows?hour=1');
      return body.some((r: { bytes_tx: number }) => r.bytes_tx === 300) ? true : undefined;
    }, 20_000, 'hour 1 summed');
    expect(byKey((await getJson(base, '/flows?hour=1')).body)).toEqual(
      byKey([
        { src_app: 'foo', dest_app: 'bar', vpc_id: 'vpc-0', bytes_tx: 300, bytes_rx: 900, hour: 1 },
        { src_app: 'baz', dest_app: 'qux', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 500, hour: 1 },
      ]),
    );
    expect(byKey((await getJson(base, '/flowlogs?hour=2')).body)).toEqual(
      byKey([
        { src_app: 'baz', dest_app: 'qux', vpc_id: 'vpc-0', bytes_tx: 100, bytes_rx: 500, hour: 2 },
        { src_app: 'baz', dest_app: 'qux', vpc_id: 'vpc-1', bytes_tx: 100, bytes_rx: 500, hour: 2 },
      ]),
    );
    expect((await getJson(base, '/flows?hour=3')).body).toEqual([]);
  });

  it('takes any hour GET /flows can ask for, up to 2^53 - 1', async () => {
    const last = Number.MAX_SAFE_INTEGER;
    const rows = [2_000_000_000, last].map((hour) => ({ src_app: 'far', dest_app: 'future', vpc_id: 'vpc-hours', bytes_tx: 7, bytes_rx: 1, hour }));
    expect(await postJson(base, '/flows', rows)).toMatchObject({ status: 202, body: { accepted: 2 } });
    for (const hour of [2_000_000_000, last]) {
      const found = await eventually(async () => {
        const { body } = await getJson(base, `/flows?hour=${hour}`);
        return body.length > 0 ? body : undefined;
      }, 20_000, `hour ${hour}`);
      expect(found).toEqual([{ src_app: 'far', dest_app: 'future', vpc_id: 'vpc-hours', bytes_tx: 7, bytes_rx: 1, hour }]);
    }
    expect((await postJson(base, '/flows', [{ ...rows[0], hour: 2 ** 53 }])).status).toBe(400);
  });

  it('keeps "ab"+"c" and "a"+"bc" apart', async () => {
    await postJson(base, '/flowlogs', [
      { src_app: 'ab', dest_app: 'c', vpc_id: 'v', bytes_tx: 1, bytes_rx: 1, hour: 50 },
      { src_app: 'a', dest_app: 'bc', vpc_id: 'v', bytes_tx: 2, bytes_rx: 2, hour: 50 },
    ]);
    expect(byKey((await hourWhen('/flows?hour=50', 2)) as { bytes_tx: number }[]).map((r) => r.bytes_tx)).toEqual([2, 1]);
  });

  it('pages a large hour with limit, cursor and a Link header, the body a plain array', async () => {
    const rows = Array.from({ length: 120 }, (_, i) => ({ src_app: `s${i}`, dest_app: 'd', vpc_id: 'v', bytes_tx: i, bytes_rx: 0, hour: 60 }));
    await postJson(base, '/flows', rows);
    await hourWhen('/flows?hour=60', 120);
    const seen: string[] = [];
    let path: string | undefined = '/flows?hour=60&limit=50';
    let pages = 0;
    while (path !== undefined && pages < 10) {
      const { body, headers } = await getJson(base, path);
      expect(Array.isArray(body)).toBe(true);
      expect(body.length).toBeLessThanOrEqual(50);
      seen.push(...body.map((r: { src_app: string }) => r.src_app));
      path = nextPage(headers.get('link'), path);
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(120);
  });

  it('takes AWS VPC Flow Logs as text/plain, default and custom formats', async () => {
    expect(await postText('/flows', readFileSync('events/flows/vpc-default.txt', 'utf8'))).toEqual({ status: 202, body: { accepted: 3, skipped: 2 } });
    expect(await postText('/flows', readFileSync('events/flows/vpc-custom.txt', 'utf8'))).toEqual({ status: 202, body: { accepted: 2, skipped: 1 } });
    const rows = await hourWhen('/flows?hour=394036', 4);
    expect(rows).toContainEqual({ src_app: '172.31.16.139', dest_app: '172.31.16.21', vpc_id: 'eni-1235b8ca123456789', bytes_tx: 6000, bytes_rx: 0, hour: 394036 });
    expect(rows).toContainEqual({ src_app: '10.0.1.5', dest_app: '10.0.0.220', vpc_id: 'vpc-0a1b2c3d', bytes_tx: 3021, bytes_rx: 0, hour: 394036 });
  });

  it.each(['/flows', '/flows?hour=', '/flows?hour=abc', '/flows?hour=1.5', '/flows?hour=-1', '/flows?hour=1&limit=0', '/flows?hour=1&cursor=nonsense'])(
    'GET %s -> 400',
    async (path) => {
      const response = await getJson(base, path);
      expect(response.status).toBe(400);
      expect(response.body.error.message.length).toBeGreaterThan(0);
    },
  );

  it.each([
    ['an object instead of an array', { src_app: 'a' }, /array/],
    ['null', null, /array/],
    ['an empty array', [], /empty/],
    ['a string number', [{ src_app: 'a', dest_app: 'b', vpc_id: 'v', bytes_tx: '100', bytes_rx: 0, hour: 1 }], /record 0 field bytes_tx/],
  ])('POST %s -> 400', async (_, body, message) => {
    const response = await postJson(base, '/flows', body);
    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(message);
  });

  it('POST with another media type -> 415; a bad VPC line -> 400 naming it', async () => {
    expect((await postJson(base, '/flows', '<flows/>', { 'content-type': 'application/xml' })).status).toBe(415);
    const bad = await postText('/flows', '2 1 eni-1 1.1.1.1 2.2.2.2 1 2 6 1 10 3600 3660 ACCEPT OK\n2 1 eni-1 1.1.1.1\n');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ line: 2 });
  });
});
