import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { FUZZ_RUNS, drainRecordCount, hostileText, invalidUtf8, mutatedPacket, newTally, postAndCheck } from '../helpers/fuzz.ts';
import { getJson, startTestRuntime } from '../helpers/runtime.ts';

let runtime: LocalRuntime;
const tally = newTally();

beforeAll(async () => {
  // No writers: what ingest queues stays on the queue to be counted.
  runtime = await startTestRuntime({ sqsEventSources: false });
});
afterAll(async () => {
  console.log(`fuzz POST /packets: ${tally.cases} cases, ${tally.accepted} records accepted, rejected by status ${JSON.stringify(Object.fromEntries(tally.rejected))}`);
  await runtime?.stop();
});

describe('POST /packets under hostile input', () => {
  const url = () => `${runtime.url}/packets`;

  it('arbitrary and hostile JSON', async () => {
    await fc.assert(fc.asyncProperty(hostileText, (text) => postAndCheck(url(), text, 'application/json', tally)), { numRuns: FUZZ_RUNS });
  });

  it('real packets with hostile mutations, alone and in arrays', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutatedPacket, { minLength: 1, maxLength: 5 }), fc.boolean(), (packets, single) =>
        postAndCheck(url(), JSON.stringify(single ? packets[0] : packets), 'application/json', tally),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('bytes that are not UTF-8, and other media types', async () => {
    await fc.assert(
      fc.asyncProperty(invalidUtf8, fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'), (bytes, type) =>
        postAndCheck(url(), bytes, type, tally),
      ),
      { numRuns: FUZZ_RUNS },
    );
  });

  it('bodies over the limit', async () => {
    await postAndCheck(url(), JSON.stringify([{ Unknown: { Message: 'x'.repeat(5_100_000) } }]), 'application/json', tally);
    expect(tally.rejected.get(413)).toBeGreaterThanOrEqual(1);
  });

  it('queued exactly what it accepted, and keeps serving', async () => {
    const queued = await drainRecordCount(runtime.resources.queues.get('PacketsQueue')?.url as string);
    expect(queued).toBe(tally.accepted);
    expect((await getJson(runtime.url, '/health')).status).toBe(200);
  });
});
