import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { parseJson, stringifyJson } from '../../functions/shared/json.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { TEST_API_KEY, eventually, startTestRuntime } from '../helpers/runtime.ts';
import { deadLetterCount } from '../helpers/queue-delivery.ts';
import { nextPage } from '../../dashboard/src/next-page.ts';

/**
 * Hostile but valid records, generated, through ingest and the writers against the emulators:
 * whatever ingest accepts must be stored, exactly, with no dead letter. `npm test` runs a few
 * cases per kind; STORE_RUNS raises it.
 */
const RUNS = Number(process.env.STORE_RUNS ?? 20);

let runtime: LocalRuntime;
let sqs: SQSClient;
beforeAll(async () => {
  runtime = await startTestRuntime();
  sqs = new SQSClient({});
});
afterAll(async () => {
  sqs?.destroy();
  await runtime?.stop();
});

async function post(path: string, body: string, contentType = 'application/json'): Promise<{ status: number; text: string }> {
  const response = await fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': TEST_API_KEY }, body });
  return { status: response.status, text: await response.text() };
}

async function get(path: string): Promise<{ body: unknown; link: string | null }> {
  const response = await fetch(`${runtime.url}${path}`, { headers: { 'x-api-key': TEST_API_KEY } });
  expect(response.status).toBe(200);
  return { body: parseJson(await response.text()), link: response.headers.get('link') };
}

const deadLettered = () => deadLetterCount(sqs, runtime);

/** Valid Unicode of every plane, including names that are also Object.prototype's members. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc.constantFrom('constructor', 'toString', 'hasOwnProperty', 'valueOf', '😀 flow', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'a|b', '%41', '\u{10FFFF}'),
  );
/** Numbers a table holds: 38 significant digits, magnitudes 1e-130 to below 1e126. */
const storableNumber = fc.oneof(
  fc.constantFrom(0, -0.5, 1e125, -9.99e125, 1e-130, Number.MAX_SAFE_INTEGER, 2 ** 60 + 0.5 * 2 ** 10),
  fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }),
  fc.double({ min: -1e120, max: 1e120, noNaN: true, noDefaultInfinity: true }).filter((x) => x === 0 || Math.abs(x) >= 1e-130),
);
/** Whether a generated value has an own "__proto__" member anywhere, which ingest refuses. */
function hasProtoMember(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (!Array.isArray(value) && Object.hasOwn(value, '__proto__')) return true;
  return Object.values(value).some(hasProtoMember);
}
const freeForm = fc.dictionary(text(20), fc.oneof(text(40), storableNumber, fc.boolean(), fc.constant(null)), { maxKeys: 4 });

describe('whatever ingest accepts is stored, exactly', () => {
  it('flow records: any Unicode names, bytes up to 2^64 - 1, sums exact past 2^53', { timeout: 240_000 }, async () => {
    const baseHour = 400_000 + Math.floor(Math.random() * 100_000);
    const expected = new Map<string, { tx: bigint; rx: bigint; hour: number }>();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            src_app: text(256),
            dest_app: fc.constantFrom('db', 'constructor', '😀'),
            vpc_id: fc.constant(`vpc-${randomUUID()}`),
            bytes_tx: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
            bytes_rx: fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        async (records) => {
          const hour = baseHour + (run++ % 3);
          // Repeat the first record: two records for one key in one request.
          const body = [...records, records[0] as (typeof records)[number]].map((r) => ({ ...r, hour }));
          const { status, text: answer } = await post('/flows', stringifyJson(body));
          expect(status, answer).toBe(202);
          for (const r of body) {
            const key = JSON.stringify([r.src_app, r.dest_app, r.vpc_id, hour]);
            const sum = expected.get(key) ?? { tx: 0n, rx: 0n, hour };
            expected.set(key, { tx: sum.tx + BigInt(r.bytes_tx), rx: sum.rx + BigInt(r.bytes_rx), hour });
          }
        },
      ),
      { numRuns: RUNS },
    );
    await eventually(
      async () => {
        const stored = new Map<string, { tx: bigint; rx: bigint }>();
        for (const hour of new Set([...expected.values()].map((v) => v.hour))) {
          for (let path: string | undefined = `/flows?hour=${hour}`; path !== undefined; ) {
            const { body, link } = await get(path);
            for (const row of body as { src_app: string; dest_app: string; vpc_id: string; bytes_tx: number | bigint; bytes_rx: number | bigint }[]) {
              stored.set(JSON.stringify([row.src_app, row.dest_app, row.vpc_id, hour]), { tx: BigInt(row.bytes_tx), rx: BigInt(row.bytes_rx) });
            }
            path = nextPage(link, path);
          }
        }
        for (const [key, sum] of expected) {
          const got = stored.get(key);
          if (got === undefined || got.tx !== sum.tx || got.rx !== sum.rx) return undefined;
        }
        return true;
      },
      60_000,
      `${expected.size} exact flow sums`,
    );
    expect(await deadLettered()).toBe(0);
  });

  it('notifications: interfaces sharing a MAC, calendar dates, 64-bit counters, free-form leaves named like prototype members', { timeout: 240_000 }, async () => {
    const tag = `run-${randomUUID()}`;
    let accepted = 0;
    const interfaceArb = fc.record({
      name: text(40),
      mac: fc.constantFrom('02:00:00:00:00:01', '02:00:00:00:00:02'),
      octets: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
      extra: freeForm,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        fc.uniqueArray(interfaceArb, { minLength: 1, maxLength: 4, selector: (i) => i.name }),
        fc.option(freeForm, { nil: undefined }),
        async (date, interfaces, payload) => {
          const eventTime = date.toISOString();
          const content =
            payload !== undefined
              ? { eventTime, tag, ...payload }
              : {
                  eventTime,
                  interface_data: {
                    interface: interfaces.map((i, index) => ({
                      ...i.extra,
                      name: i.name,
                      description: tag,
                      type: 'ianaift:ethernetCsmacd',
                      'admin-status': 'up',
                      'oper-status': 'up',
                      'if-index': index + 1,
                      'phys-address': i.mac,
                      statistics: { 'discontinuity-time': '1970-01-01T00:00:00Z', 'in-octets': String(i.octets), 'out-octets': String(i.octets) },
                    })),
                  },
                };
          const { status, text: answer } = await post('/relay-notification', stringifyJson({ 'ietf-https-notif:notification': content }), 'application/yang-data+json');
          // fast-check's dictionaries sometimes hold a "__proto__" member: refused by design
          // (a 400 that names it), so it must not be counted as stored either.
          if (hasProtoMember(content)) {
            expect(status, answer).toBe(400);
            expect(answer).toContain('__proto__');
            return;
          }
          expect(status, answer).toBe(204);
          accepted++;
        },
      ),
      { numRuns: RUNS },
    );
    await eventually(
      async () => {
        let stored = 0;
        for (let path: string | undefined = '/notifications?limit=100'; path !== undefined; ) {
          const { body } = await get(path);
          const page = body as { items: unknown[]; next: string | null };
          stored += page.items.filter((item) => stringifyJson(item).includes(tag)).length;
          path = page.next === null ? undefined : `/notifications?limit=100&cursor=${encodeURIComponent(page.next)}`;
        }
        return stored === accepted ? true : undefined;
      },
      60_000,
      `${RUNS} notifications`,
    );
    expect(await deadLettered()).toBe(0);
  });

  it('Netify: application names of any Unicode, bytes and packets up to 2^64 - 1, sums exact past 2^53', { timeout: 240_000 }, async () => {
    const expected = new Map<string, { app: string; sums: bigint[] }>();
    const counter = fc.oneof(fc.nat(), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    await fc.assert(
      fc.asyncProperty(text(40), fc.array(fc.tuple(counter, counter, counter, counter), { minLength: 1, maxLength: 3 }), async (app, reports) => {
        const mac = `02:${randomUUID().replace(/-/g, '').slice(0, 10).match(/../g)?.join(':')}`;
        const digest = randomUUID();
        const lines = [
          stringifyJson({ type: 'flow', flow: { digest, local_mac: mac, detected_application_name: app } }),
          ...reports.map(([lb, ob, lp, op]) => stringifyJson({ type: 'flow_stats', flow: { digest, local_bytes: lb, other_bytes: ob, local_packets: lp, other_packets: op } })),
        ];
        const { status, text: answer } = await post('/netify', lines.join('\n'), 'application/x-ndjson');
        expect(status, answer).toBe(202);
        expected.set(mac, { app, sums: [0, 1, 2, 3].map((i) => reports.reduce((sum, r) => sum + BigInt(r[i] as number | bigint), 0n)) });
      }),
      { numRuns: RUNS },
    );
    await eventually(
      async () => {
        for (const [mac, { app, sums }] of expected) {
          const { body } = await get(`/devices/${mac}`);
          const found = (body as { applications?: { app_name: string; bytes_up: number | bigint; bytes_dn: number | bigint; pkts_up: number | bigint; pkts_dn: number | bigint }[] }).applications?.[0];
          if (found === undefined || found.app_name !== app) return undefined;
          const got = [found.bytes_up, found.bytes_dn, found.pkts_up, found.pkts_dn].map((n) => BigInt(n));
          if (got.some((n, i) => n !== sums[i])) return undefined;
        }
        return true;
      },
      60_000,
      `${expected.size} devices' exact Netify sums`,
    );
    expect(await deadLettered()).toBe(0);
  });

  it('packets: extra fields of any storable value under any member name', { timeout: 240_000 }, async () => {
    const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
    const before = ((await get('/packets/tables/all')).body ?? {}) as Record<string, number>;
    const expected: Record<string, number> = { ...before };
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ sample: fc.constantFrom(...samples), extra: freeForm }), { minLength: 1, maxLength: 5 }), async (picks) => {
        const packets = picks.map(({ sample, extra }) => {
          const layer = layersOf(sample).at(-1) as keyof Packet;
          return { ...sample, [layer]: { ...extra, ...(sample[layer] as object) } };
        });
        const { status, text: answer } = await post('/packets', stringifyJson(packets));
        if (hasProtoMember(packets)) {
          expect(status, answer).toBe(400);
          expect(answer).toContain('__proto__');
          return;
        }
        expect(status, answer).toBe(202);
        for (const p of packets) for (const layer of layersOf(p as Packet)) expected[layer] = (expected[layer] ?? 0) + 1;
      }),
      { numRuns: RUNS },
    );
    await eventually(async () => {
      const { body } = await get('/packets/tables/all');
      return JSON.stringify(Object.entries(body as object).sort()) === JSON.stringify(Object.entries(expected).sort()) ? true : undefined;
    }, 60_000, 'exact packet counts');
    expect(await deadLettered()).toBe(0);
  });
});
