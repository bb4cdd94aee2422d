import type { LocalRuntime } from '../infra/local/runtime.ts';
import { packets, type Workload } from './fixtures.ts';

/**
 * Packets/s from POST to visible in /packets/tables/all, and each request's delay from
 * its 202 to the moment the count includes it. The workload is the sample mix, or the
 * "real capture" one (`captureWorkload()`): the packets `npm run import` makes of a capture file.
 */
export async function endToEndRun(runtime: LocalRuntime, key: string, requests = 20, perRequest = 500, workload: Workload = packets): Promise<{ rate: number; delays: number[] }> {
  const headers = { 'x-api-key': key };
  const count = async () => ((await (await fetch(`${runtime.url}/packets/tables/all`, { headers })).json()) as Record<string, number>).AF_Packet ?? 0;
  const base = await count();
  const accepted: number[] = [];
  const started = performance.now();
  const posting = (async () => {
    for (let i = 0; i < requests; i++) {
      const response = await fetch(`${runtime.url}/packets`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(workload(perRequest, 1_750_000_000 + i)),
      });
      if (response.status !== 202) throw new Error(`POST /packets answered ${response.status}`);
      await response.arrayBuffer();
      accepted.push(performance.now());
    }
  })();
  const delays: number[] = [];
  let seen = 0;
  const deadline = performance.now() + 180_000;
  while (seen < requests && performance.now() < deadline) {
    const visible = Math.floor(((await count()) - base) / perRequest);
    const now = performance.now();
    // Every packet of either workload has an AF_Packet layer: the count says how many requests landed.
    while (seen < Math.min(visible, accepted.length)) delays.push(now - (accepted[seen++] as number));
    await new Promise((r) => setTimeout(r, 25));
  }
  await posting;
  if (seen < requests) throw new Error(`only ${seen} of ${requests} requests became visible`);
  return { rate: (requests * perRequest) / ((performance.now() - started) / 1000), delays };
}
