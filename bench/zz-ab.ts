import { loadServiceConfig } from '../infra/local/service-config.ts';
import { PROJECT_ROOT, startLocalRuntime } from '../infra/local/runtime.ts';
import { startEmulators } from '../infra/local/emulators.ts';
import { bundle, coldCost, coldStart, firstEvent, type Start } from './cold-start.ts';
import { measure } from './stats.ts';
process.env.API_KEYS ??= 'bench-key';
const emulators = await startEmulators();
const runtime = await startLocalRuntime({ endpoints: emulators.endpoints, port: 0, stage: 'benchlive', schedules: false, sqsEventSources: false, streamEventSources: false, log: () => {} });
const config = loadServiceConfig(`${PROJECT_ROOT}/serverless.yml`, { stage: 'benchlive' });
const names = (process.env.FNS ?? 'packetsWriter,devicesWriter,notificationsWriter').split(',');
const N = Number(process.env.N ?? 15);
const env = { ...process.env };
const med = (s: Start[], f: (x: Start) => number) => measure(s.map(f)).median.toFixed(1);
for (const name of names) {
  const fn = config.functions.find((f) => f.name === name)!;
  const rel = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
  const newB = await bundle(`${PROJECT_ROOT}/${rel}.ts`, `${name}-new`);
  const oldB = await bundle(`${PROJECT_ROOT}/../../tmp/wt-old/${rel}.ts`, `${name}-old`);
  // warm-up: both, so the tables hold the devices
  for (let i = 0; i < 3; i++) { await coldStart(oldB.file, [firstEvent(fn), firstEvent(fn), firstEvent(fn)], env); await coldStart(newB.file, [firstEvent(fn), firstEvent(fn), firstEvent(fn)], env); }
  const o: Start[] = [], n: Start[] = [];
  for (let i = 0; i < N; i++) { o.push(await coldStart(oldB.file, [firstEvent(fn), firstEvent(fn), firstEvent(fn)], env)); n.push(await coldStart(newB.file, [firstEvent(fn), firstEvent(fn), firstEvent(fn)], env)); }
  console.log(`${name}: old cold ${med(o, coldCost)} first-warm ${med(o, (s) => s.firstMs - s.warmMs)} first ${med(o, (s) => s.firstMs)} | new cold ${med(n, coldCost)} first-warm ${med(n, (s) => s.firstMs - s.warmMs)} first ${med(n, (s) => s.firstMs)}`);
}
await runtime.stop(); await emulators.stop();
