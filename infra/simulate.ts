// `npm run simulate -- --url <base> --key <key> [--minutes N] [--devices N] [--seed S]`:
// drives the simulated network's traffic over HTTP(S) against any deployment, one
// simulated minute per step, as fast as the API takes it.
import { parseArgs } from 'node:util';
import { emissions } from '../functions/simulator/emissions.ts';
import { advance, initialNetwork } from '../functions/simulator/network.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.API_URL ?? 'http://127.0.0.1:3000' },
    key: { type: 'string', default: process.env.API_KEY ?? 'local-dev-key' },
    minutes: { type: 'string', default: '10' },
    devices: { type: 'string', default: '12' },
    seed: { type: 'string', default: process.env.SIM_SEED ?? '42' },
  },
});
const base = (values.url as string).replace(/\/$/, '');
const minutes = Number(values.minutes);
const deviceCount = Number(values.devices);
if (!Number.isInteger(minutes) || minutes < 1 || !Number.isInteger(deviceCount) || deviceCount < 1) {
  console.error('usage: npm run simulate -- --url <base> --key <key> [--minutes N] [--devices N] [--seed S]');
  process.exit(2);
}

type Tally = { sent: number; accepted: number; rejected: number };
const tally = new Map<string, Tally>();
const errors: string[] = [];

async function post(kind: string, path: string, body: string, contentType: string, records: number): Promise<void> {
  const t = tally.get(kind) ?? { sent: 0, accepted: 0, rejected: 0 };
  tally.set(kind, t);
  t.sent += records;
  try {
    const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': values.key as string }, body });
    if (response.status === 202 || response.status === 204) {
      t.accepted += records;
      await response.arrayBuffer();
    } else {
      t.rejected += records;
      if (errors.length < 5) errors.push(`${kind}: ${response.status} ${(await response.text()).slice(0, 200)}`);
    }
  } catch (error) {
    t.rejected += records;
    if (errors.length < 5) errors.push(`${kind}: ${(error as Error).message}`);
  }
}

function progress(step: number): void {
  const width = 30;
  const done = Math.round((step / minutes) * width);
  process.stderr.write(`\r[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${step}/${minutes} simulated minutes`);
}

const start = Date.now() - minutes * 60_000;
let state = initialNetwork(values.seed as string, deviceCount, new Date(start).toISOString());
for (let step = 1; step <= minutes; step++) {
  state = advance(state, new Date(start + step * 60_000).toISOString());
  const e = emissions(state);
  const json = 'application/json';
  await Promise.all([
    step === 1 ? post('inventory', '/devices', JSON.stringify(e.inventory), json, e.inventory.length) : undefined,
    ...e.notifications.map((n) => post('notifications', '/relay-notification', n, 'application/yang-data+json', 1)),
    e.packets.length > 0 ? post('packets', '/packets', JSON.stringify(e.packets), json, e.packets.length) : undefined,
    e.flows.length > 0 ? post('flows', '/flows', JSON.stringify(e.flows), json, e.flows.length) : undefined,
    e.netify !== '' ? post('netify', '/netify', e.netify, 'application/x-ndjson', e.netify.split('\n').length) : undefined,
  ]);
  progress(step);
}
process.stderr.write('\n');
console.log(`simulated ${minutes} minutes of ${deviceCount} devices against ${base} (seed ${values.seed})`);
console.log('kind           sent  accepted  rejected');
for (const [kind, t] of tally) console.log(`${kind.padEnd(13)}${String(t.sent).padStart(6)}${String(t.accepted).padStart(10)}${String(t.rejected).padStart(10)}`);
for (const error of errors) console.log(`  ${error}`);
process.exitCode = [...tally.values()].some((t) => t.rejected > 0) ? 1 : 0;
