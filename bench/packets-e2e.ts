// End-to-end packets/s: POST N packets to the local runtime, time until every count is visible.
// Usage: node bench/packets-e2e.ts [packets=5000] [perRequest=500]
import { readFileSync, readdirSync } from 'node:fs';
import { startLocalRuntime } from '../infra/local/runtime.ts';
import { layersOf } from '../functions/packets/storage.ts';
import type { Packet } from '../functions/packets/packet-schema.ts';

const total = Number(process.argv[2] ?? 5000);
const perRequest = Number(process.argv[3] ?? 500);
const samples = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
const packets = Array.from({ length: total }, (_, i) => samples[i % samples.length] as Packet);
const expected: Record<string, number> = {};
for (const p of packets) for (const layer of layersOf(p)) expected[layer] = (expected[layer] ?? 0) + 1;

const runtime = await startLocalRuntime({ port: 0, dataDir: ':memory:', log: () => {} });
try {
  const started = performance.now();
  const requests = [];
  for (let i = 0; i < total; i += perRequest) {
    requests.push(
      fetch(`${runtime.url}/packets`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(packets.slice(i, i + perRequest)) }).then(
        async (r) => {
          if (r.status !== 202) throw new Error(`POST answered ${r.status}: ${await r.text()}`);
        },
      ),
    );
  }
  await Promise.all(requests);
  const accepted = performance.now();
  for (let polls = 0; ; polls++) {
    const counts = (await (await fetch(`${runtime.url}/packets/tables/all`)).json()) as Record<string, number>;
    if (Object.entries(expected).every(([k, v]) => counts[k] === v)) break;
    if (polls > 6000) throw new Error(`counts never matched: ${JSON.stringify(counts)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const visible = performance.now();
  const seconds = (visible - started) / 1000;
  console.log(
    `${total} packets in requests of ${perRequest}: all accepted after ${Math.round(accepted - started)} ms, ` +
      `all counted after ${Math.round(visible - started)} ms -> ${Math.round(total / seconds)} packets/s end to end`,
  );
} finally {
  await runtime.stop();
}
