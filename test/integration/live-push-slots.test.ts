import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { connectionsTable } from '../../functions/live/config.ts';
import { PUSH_INTERVAL_MS, addConnection, claimPush, readPushSlot, recordPush, removeConnection } from '../../functions/live/connections.ts';
import { startTestRuntime } from '../helpers/runtime.ts';

// A connection's push slot against DynamoDB Local, at times the test chooses: claims a second
// apart, each answering the claim and send before it, which the broadcaster holds its send a
// second behind (test/e2e/live.test.ts checks the deliveries).

let runtime: LocalRuntime;
beforeAll(async () => {
  runtime = await startTestRuntime({ sqsEventSources: false });
});
afterAll(async () => runtime?.stop());

let next = 0;
async function newConnection(): Promise<string> {
  const id = `slot-${Date.now()}-${next++}`;
  await addConnection(connectionsTable(), id);
  return id;
}

describe('a live connection push slot', () => {
  it('is claimed a second after the last claim, and answers that claim and when its push sent', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    expect(await claimPush(table, id, t0)).toEqual({ claimed: true, previous: { sentFor: 0 } });
    expect(await claimPush(table, id, t0 + 400)).toEqual({ claimed: false, pushedAt: t0 });
    // 700 ms of reading the devices, then the send.
    await recordPush(table, id, t0, t0 + 700);
    // A second after the claim the slot is claimed again; the push holds its send until a second after t0 + 700.
    expect(await claimPush(table, id, t0 + PUSH_INTERVAL_MS)).toEqual({ claimed: true, previous: { pushedAt: t0, sentAt: t0 + 700, sentFor: t0 } });
    expect(await readPushSlot(table, id)).toEqual({ pushedAt: t0 + PUSH_INTERVAL_MS, sentAt: t0 + 700, sentFor: t0 });
  });

  it('keeps the record of the latest claim that sent: a slower, older push recording late changes nothing', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    const t1 = t0 + PUSH_INTERVAL_MS;
    expect((await claimPush(table, id, t0)).claimed).toBe(true);
    expect((await claimPush(table, id, t1)).claimed).toBe(true);
    await recordPush(table, id, t1, t1 + 100);
    await recordPush(table, id, t0, t1 + 200);
    expect(await readPushSlot(table, id)).toEqual({ pushedAt: t1, sentAt: t1 + 100, sentFor: t1 });
  });

  it('claims nothing for a connection removed meanwhile, and its record does not bring it back', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    expect((await claimPush(table, id, t0)).claimed).toBe(true);
    await removeConnection(table, id);
    await recordPush(table, id, t0, t0 + 50);
    expect(await claimPush(table, id, t0 + 2 * PUSH_INTERVAL_MS)).toEqual({ claimed: false });
    expect(await readPushSlot(table, id)).toEqual({});
  });
});
