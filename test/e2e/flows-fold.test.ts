import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { flowsConfig } from '../../functions/flows/config.ts';
import { pendingKeys } from '../helpers/flow-sums.ts';
import { TEST_API_KEY, eventually, getJson, postJson, startTestRuntime } from '../helpers/runtime.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

// The flows table's stream feeds the folder here, as on AWS: posted sums are read while
// pending, and read the same once the folder has moved every delta into the hours' sums.
const POSTS = 4;
let runtime: LocalRuntime;

beforeAll(async () => {
  // Each post puts one delta per hour shard: the fourth makes a shard fold.
  runtime = await startTestRuntime({ streamEventSources: true, env: { API_KEYS: TEST_API_KEY, POWERTOOLS_METRICS_DISABLED: 'true', FLOW_FOLD_AFTER: String(POSTS) } });
});
afterAll(async () => runtime?.stop());

type Row = { src_app: string; dest_app: string; vpc_id: string; bytes_tx: number; bytes_rx: number; hour: number };

/** Every row of an hour over HTTP, following the Link header page by page. */
async function hourOverHttp(hour: number, limit: number): Promise<Row[]> {
  const rows: Row[] = [];
  let path: string | undefined = `/flows?hour=${hour}&limit=${limit}`;
  while (path !== undefined) {
    const { status, body, headers } = await getJson(runtime.url, path);
    expect(status).toBe(200);
    rows.push(...(body as Row[]));
    path = nextPage(headers.get('link'), path);
  }
  return rows.sort((a, b) => `${a.src_app}|${a.dest_app}`.localeCompare(`${b.src_app}|${b.dest_app}`));
}

describe('flow sums folded in the background', () => {
  it('answers the same exact sums while deltas are pending and after the folder has folded them all', async () => {
    const hours = [700_000 + Math.floor(Math.random() * 100_000)];
    hours.push(hours[0] as number + 1);
    const expected = new Map<string, Row>();
    const want = (hour: number) => [...expected.values()].filter((r) => r.hour === hour).sort((a, b) => `${a.src_app}|${a.dest_app}`.localeCompare(`${b.src_app}|${b.dest_app}`));
    for (let post = 0; post < POSTS; post++) {
      const records = Array.from({ length: 250 }, (_, i) => ({
        src_app: `app-${(i * 7 + post) % 120}`,
        dest_app: `svc-${i % 3}`,
        vpc_id: 'vpc-fold',
        bytes_tx: i + post,
        bytes_rx: 1,
        hour: hours[i % 2] as number,
      }));
      expect((await postJson(runtime.url, '/flows', records)).status).toBe(202);
      for (const r of records) {
        const key = `${r.hour}|${r.src_app}|${r.dest_app}`;
        const row = expected.get(key) ?? { ...r, bytes_tx: 0, bytes_rx: 0 };
        expected.set(key, { ...row, bytes_tx: row.bytes_tx + r.bytes_tx, bytes_rx: row.bytes_rx + r.bytes_rx });
      }
      const hour = hours[0] as number;
      await eventually(async () => (JSON.stringify(await hourOverHttp(hour, 1000)) === JSON.stringify(want(hour)) ? true : undefined), 30_000, `post ${post} visible`);
      // Fewer deltas than FLOW_FOLD_AFTER in a shard: they stay pending, and are read.
      if (post === POSTS - 2) expect((await pendingKeys(hour)).length).toBe((POSTS - 1) * flowsConfig().shards);
    }
    for (const hour of hours) {
      await eventually(async () => ((await pendingKeys(hour)).length === 0 ? true : undefined), 30_000, `hour ${hour} folded`);
      expect(await hourOverHttp(hour, 37)).toEqual(want(hour));
      expect(await hourOverHttp(hour, 1000)).toEqual(want(hour));
    }
  });

  it('ends a folded hour on its last full page, with no Link to an empty one', async () => {
    const hour = 800_000 + Math.floor(Math.random() * 100_000);
    const records = Array.from({ length: 40 }, (_, i) => ({ src_app: `end-${i}`, dest_app: 'd', vpc_id: 'vpc-end', bytes_tx: i, bytes_rx: 1, hour }));
    for (let post = 0; post < POSTS; post++) expect((await postJson(runtime.url, '/flows', records)).status).toBe(202);
    await eventually(async () => ((await pendingKeys(hour)).length === 0 && (await hourOverHttp(hour, 1000)).length === 40 ? true : undefined), 30_000, `hour ${hour} folded`);
    // A shard read to its last item with DynamoDB's Limit comes back with a LastEvaluatedKey as if more followed.
    for (const [limit, sizes] of [[40, [40]], [20, [20, 20]], [10, [10, 10, 10, 10]], [1000, [40]]] as const) {
      const pages: number[] = [];
      let path: string | undefined = `/flows?hour=${hour}&limit=${limit}`;
      while (path !== undefined && pages.length < 10) {
        const { body, headers } = await getJson(runtime.url, path);
        pages.push((body as Row[]).length);
        path = nextPage(headers.get('link'), path);
      }
      expect(pages, `pages of ${limit}`).toEqual(sizes);
    }
  });
});
