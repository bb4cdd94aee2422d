// Live push: how soon a device's new state reaches dashboards on the live WebSocket, and
// whether any of many connections misses an update. Each update is a notification whose
// counters give the device a new snapshot; the delay runs from the moment POST
// /relay-notification answered (queue, writer, stream, broadcaster all inside it) to the
// moment a connection holds a message with that snapshot.
// Part of `npm run bench` (section 9); alone: `node bench/live-push.ts` (prints its rows).
import { readFileSync } from 'node:fs';
import type { Endpoints } from '../infra/local/emulators.ts';
import { isEntryPoint, runSectionAlone } from './section-alone.ts';
import { startLocalRuntime } from '../infra/local/runtime.ts';
import { percentile } from './stats.ts';

export interface LivePushOptions {
  connections: number;
  updates: number;
  /** Between updates: longer than the broadcaster's once-a-second limit per connection. */
  gapMs: number;
  /** How long a connection may take to show an update before it counts as missed. */
  missAfterMs: number;
}

export const DEFAULT_LIVE_PUSH_OPTIONS: LivePushOptions = {
  connections: Number(process.env.LIVE_CONNECTIONS ?? 100),
  updates: Number(process.env.LIVE_UPDATES ?? 20),
  gapMs: 2_000,
  missAfterMs: 10_000,
};

export interface LivePushResult {
  connections: number;
  updates: number;
  /** Milliseconds from each POST's answer to each connection holding the update. */
  delays: number[];
  /** Milliseconds from the update's write (first visible in GET /devices/{mac}) to each connection holding it. */
  delaysFromWrite: number[];
  /** (connection, update) pairs never shown within missAfterMs. */
  missed: number;
}

interface Snapshot {
  time_stamp: string;
}
interface LiveDevice {
  mac_address: string;
  snap_shots: Snapshot[];
}

const seed = readFileSync('events/notifications/seed-interfaces.json', 'utf8');

function notificationBody(mac: string, at: Date, octets: bigint): string {
  const n = JSON.parse(seed);
  const body = n['ietf-https-notif:notification'];
  body.eventTime = at.toISOString();
  const wlp = body.interface_data.interface[0];
  wlp['phys-address'] = mac;
  wlp.statistics['in-octets'] = String(octets);
  wlp.statistics['out-octets'] = String(octets / 10n);
  body.interface_data.interface = [wlp];
  return JSON.stringify(n);
}

/** Seed 004's time stamp of a snapshot taken at `at`. */
const seedStamp = (at: Date) => at.toISOString().replace('T', ' ').replace('Z', '000');

/** A connection and, per snapshot time stamp of the device, when it first showed it. */
function connect(url: string, mac: string): Promise<{ socket: WebSocket; shown: Map<string, number> }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const shown = new Map<string, number>();
    socket.addEventListener('message', (event) => {
      const at = performance.now();
      const device = (JSON.parse(String(event.data)) as LiveDevice[]).find((d) => d.mac_address === mac);
      for (const s of device?.snap_shots ?? []) if (!shown.has(s.time_stamp)) shown.set(s.time_stamp, at);
    });
    socket.addEventListener('error', () => reject(new Error('the live connection was refused')));
    socket.addEventListener('open', () => resolve({ socket, shown }));
  });
}

export async function livePushRun(endpoints: Endpoints, key: string, options: LivePushOptions = DEFAULT_LIVE_PUSH_OPTIONS): Promise<LivePushResult> {
  const runtime = await startLocalRuntime({
    endpoints,
    port: 0,
    stage: 'benchlivepush',
    schedules: false,
    streamEventSources: true,
    env: { API_KEYS: key, POWERTOOLS_METRICS_DISABLED: 'true' },
    log: () => {},
  });
  const sockets: WebSocket[] = [];
  try {
    const headers = { 'x-api-key': key };
    const mac = `02:${Array.from({ length: 5 }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join(':')}`;
    const start = Date.now() - (options.updates + 1) * 10_000;
    const post = async (k: number) => {
      const response = await fetch(`${runtime.url}/relay-notification`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/yang-data+json' },
        body: notificationBody(mac, new Date(start + k * 10_000), 1_000_000_000n + BigInt(k) * 12_500_000n),
      });
      if (response.status !== 204) throw new Error(`POST /relay-notification answered ${response.status}: ${await response.text()}`);
      return performance.now();
    };
    // The baseline reading: the device exists before the connections open.
    await post(0);
    const live = (await (await fetch(`${runtime.url}/live`, { headers })).json()) as { url: string };
    const clients = [];
    for (let i = 0; i < options.connections; i++) {
      const client = await connect(live.url, mac);
      sockets.push(client.socket);
      clients.push(client);
    }
    await new Promise((r) => setTimeout(r, options.gapMs));
    // When the writer has stored the snapshot: polled over HTTP, a light load beside the pushes.
    const written = async (time: Date): Promise<number> => {
      for (;;) {
        const view = (await (await fetch(`${runtime.url}/devices/${mac}?snapshots=1`, { headers })).json()) as { snap_shots?: { time_stamp: string }[] };
        if (view.snap_shots?.some((s) => Date.parse(s.time_stamp) === time.getTime())) return performance.now();
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const sent: { stamp: string; at: number; written: number }[] = [];
    for (let k = 1; k <= options.updates; k++) {
      const time = new Date(start + k * 10_000);
      const at = await post(k);
      sent.push({ stamp: seedStamp(time), at, written: await written(time) });
      await new Promise((r) => setTimeout(r, Math.max(0, options.gapMs - (performance.now() - at))));
    }
    await new Promise((r) => setTimeout(r, options.missAfterMs));
    const delays: number[] = [];
    const delaysFromWrite: number[] = [];
    let missed = 0;
    for (const { shown } of clients) {
      for (const { stamp, at, written } of sent) {
        const seen = shown.get(stamp);
        if (seen === undefined || seen - at > options.missAfterMs) missed++;
        else {
          delays.push(seen - at);
          delaysFromWrite.push(Math.max(0, seen - written));
        }
      }
    }
    return { connections: options.connections, updates: options.updates, delays, delaysFromWrite, missed };
  } finally {
    for (const socket of sockets) socket.close();
    await runtime.stop();
  }
}

/** The result as rows of bench/results.md's table. */
export function livePushRows(result: LivePushResult): string[] {
  const spread = (values: number[]) => `${Math.round(percentile(values, 50))} / ${Math.round(percentile(values, 95))} / ${Math.round(Math.max(...values, 0))} ms`;
  const p95 = percentile(result.delaysFromWrite, 95);
  const pairs = result.connections * result.updates;
  const setting = `${result.connections} connections, ${result.updates} updates 2 s apart`;
  return [
    `| 9 live push | a device's new snapshot from its write (first visible over HTTP) to shown on each connection, p50 / p95 / max (${setting}) | ${spread(result.delaysFromWrite)} |  |  | p95 <= 1000 ms | ${p95 <= 1_000 ? 'met' : '**missed**'} |`,
    `| 9 live push | the same from POST's answer (queue and writer included), p50 / p95 / max | ${spread(result.delays)} |  |  |  |  |`,
    `| 9 live push | updates a connection never showed (of ${pairs.toLocaleString('en-US')} connection-updates) | ${result.missed} |  |  | 0 | ${result.missed === 0 ? 'met' : '**missed**'} |`,
  ];
}

if (isEntryPoint(import.meta.url)) await runSectionAlone(async (endpoints) => livePushRows(await livePushRun(endpoints, 'bench-key')));
