import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalRuntime } from '../../infra/local/runtime.ts';
import { connectionsTable } from '../../functions/live/config.ts';
import { PUSH_INTERVAL_MS, addConnection, claimPush, confirmPush, removeConnection } from '../../functions/live/connections.ts';
import { startTestRuntime } from '../helpers/runtime.ts';

// A connection's push slot against DynamoDB Local, at times the test chooses: the once-a-second
// limit holds between deliveries, whatever time each push spent reading the devices between
// its claim and its send.

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
  it('after a push whose read was slow, frees a second after the send, not the claim', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    expect(await claimPush(table, id, t0)).toEqual({ claimed: true });
    // 700 ms of reading the devices, then the send.
    expect(await confirmPush(table, id, t0, t0 + 700)).toBe(true);
    // A second after the claim, but 300 ms after the send: refused, naming both.
    expect(await claimPush(table, id, t0 + PUSH_INTERVAL_MS)).toEqual({ claimed: false, pushedAt: t0, sentAt: t0 + 700 });
    expect(await claimPush(table, id, t0 + 700 + PUSH_INTERVAL_MS)).toEqual({ claimed: true });
  });

  it('refuses a claim while an older one is within its second, and lets a newer claim supersede one that never sent', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    expect(await claimPush(table, id, t0)).toEqual({ claimed: true });
    expect(await claimPush(table, id, t0 + 400)).toEqual({ claimed: false, pushedAt: t0 });
    // The first push is still reading a second later: a newer push claims the slot, and
    // the first, confirming late, sends nothing (the newer one reads after it).
    expect(await claimPush(table, id, t0 + PUSH_INTERVAL_MS)).toEqual({ claimed: true });
    expect(await confirmPush(table, id, t0, t0 + 1_100)).toBe(false);
    expect(await confirmPush(table, id, t0 + PUSH_INTERVAL_MS, t0 + 1_150)).toBe(true);
  });

  it('claims and confirms nothing for a connection removed meanwhile', async () => {
    const table = connectionsTable();
    const id = await newConnection();
    const t0 = Date.now();
    expect(await claimPush(table, id, t0)).toEqual({ claimed: true });
    await removeConnection(table, id);
    expect(await confirmPush(table, id, t0, t0 + 50)).toBe(false);
    expect(await claimPush(table, id, t0 + 2 * PUSH_INTERVAL_MS)).toEqual({ claimed: false });
  });
});
