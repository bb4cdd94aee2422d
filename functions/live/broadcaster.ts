import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { logger } from '../shared/observability.ts';
import { connectionsTable, maxDevicesPerPush, snapshotsPerDevice } from './config.ts';
import { PUSH_INTERVAL_MS, claimPush, isConnectionKey, listConnections, readPushSlot, recordPush, removeConnection, type PushSlot } from './connections.ts';
import { currentDevices } from './device-state.ts';
import { changedDevices, noteRecentDevices, recentDevices } from './recent-devices.ts';
import { fitMessage } from './message.ts';
import { postToConnection } from './push.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A new connection may not be open yet when its record's stream event arrives. */
const NEW_CONNECTION_RETRY_MS = 500;
/** How often, and for how long at most, a push waits for the push before it to record its send. */
const IN_FLIGHT_POLL_MS = 100;
const IN_FLIGHT_WAIT_MS = 2_000;

/**
 * Fed by two DynamoDB Streams: the devices table's (any change: every connection gets the
 * device array again) and the connections table's (a new connection gets it once).
 *
 * Bursts are coalesced to at most one push per connection per second, across concurrent
 * invocations: a push first claims the connection's slot (a conditional write of
 * pushed_at, a second after the last claim), then reads the devices, so a push claimed after
 * this invocation started carries this invocation's change too. Each push records when it
 * sent (sent_at), and the next one, its devices read, holds its send until a second after
 * that (waiting for the record when the push before is still in flight, 2 s at most):
 * deliveries, not only claims, are a second apart and in the order claimed, unless a push's
 * read outlasts that wait (a push found already outrun sends nothing). A
 * connection claimed within the last second by an older push is waited for and pushed to
 * when its slot frees; one claimed by a newer push is left to it. Failures are logged, not
 * retried: the next change pushes again.
 */
export const handler = lambdaHandler(async (event: DynamoDBStreamEvent, context?: Context): Promise<void> => {
  const startedAt = Date.now();
  const deadline = invocationDeadline(context);
  const table = connectionsTable();
  const ofConnections = (arn: string | undefined) => arn?.includes(`table/${table}/stream`) === true;
  // The connections table also holds the recent-device notes (recent-devices.ts): not connections.
  const fresh = new Set(
    event.Records.filter((r) => ofConnections(r.eventSourceARN) && r.eventName === 'INSERT' && isConnectionKey(r.dynamodb?.Keys?.pk?.S)).map((r) =>
      String(r.dynamodb?.Keys?.sk?.S),
    ),
  );
  const deviceRecords = event.Records.filter((r) => !ofConnections(r.eventSourceARN));
  const deviceChange = deviceRecords.length > 0;
  const targets = deviceChange ? await listConnections(table) : [...fresh];
  if (targets.length === 0) return;
  // Noted only while a dashboard is connected: unwatched, a sniffer's thousands of new MACs
  // would cost a write each. One that connects later sees recent devices within a minute.
  if (deviceChange) await noteRecentDevices(table, changedDevices(deviceRecords.map((r) => r.dynamodb?.Keys?.pk?.S)), startedAt);

  let pending = targets;
  while (pending.length > 0) {
    const claimedAt = Date.now();
    const claims = await Promise.all(pending.map(async (id) => ({ id, claim: await claimPush(table, id, claimedAt) })));
    const claimed = new Map(claims.flatMap(({ id, claim }) => (claim.claimed ? [[id, claim.previous] as const] : [])));
    const waiting: { id: string; at: number }[] = [];
    for (const { id, claim } of claims) {
      if (claim.claimed || claim.pushedAt === undefined || claim.pushedAt >= startedAt) continue;
      waiting.push({ id, at: claim.pushedAt + PUSH_INTERVAL_MS });
    }
    if (claimed.size > 0) await pushTo(claimed, claimedAt, fresh, table, deadline);
    pending = waiting.map((w) => w.id);
    if (pending.length > 0) await sleep(Math.max(0, Math.min(...waiting.map((w) => w.at)) - Date.now()));
  }
});

async function pushTo(connections: ReadonlyMap<string, PushSlot>, claimedAt: number, fresh: ReadonlySet<string>, table: string, deadline: number): Promise<void> {
  const maxDevices = maxDevicesPerPush();
  const { devices, capped, shortOfTime } = await currentDevices(snapshotsPerDevice(), { maxDevices, recent: (limit) => recentDevices(table, limit), deadline });
  if (shortOfTime) logger.warn('pushing the devices read before the time ran short', { devices: devices.length, capped });
  else if (capped) logger.debug('more devices than a push reads: pushing those that changed last', { devices: devices.length, maxDevices });
  const message = fitMessage(devices);
  await Promise.all(
    [...connections].map(async ([id, previous]) => {
      try {
        const sentBefore = await previousSend(table, id, previous, claimedAt);
        // A push claimed after this one sent first (this one read for seconds): what it sent is newer.
        if (sentBefore === 'superseded') return;
        await sleep(Math.max(0, sentBefore + PUSH_INTERVAL_MS - Date.now()));
        let delivered = await postToConnection(id, message);
        if (!delivered && fresh.has(id)) {
          await sleep(NEW_CONNECTION_RETRY_MS);
          delivered = await postToConnection(id, message);
        }
        if (!delivered) {
          await removeConnection(table, id);
          logger.info('connection gone, removed', { connectionId: id });
        }
      } catch (error) {
        logger.warn('push failed', { connectionId: id, error: error as Error });
      } finally {
        await recordPush(table, id, claimedAt).catch((error: unknown) => logger.warn('push not recorded', { connectionId: id, error: error as Error }));
      }
    }),
  );
}

/**
 * When the push before this one (the claim `previous` held) sent. Almost always recorded by
 * the time this push has read the devices; while it is still in flight, the slot is read
 * again until it is, for IN_FLIGHT_WAIT_MS at most (a push that crashed never records):
 * then its claim stands for it, as it does on a connection made before sends were recorded
 * (no sent_for). `superseded` when a push claimed after this one (at `claimedAt`) has
 * recorded its send already.
 */
async function previousSend(table: string, id: string, previous: PushSlot, claimedAt: number): Promise<number | 'superseded'> {
  const { pushedAt } = previous;
  if (pushedAt === undefined) return Number.NEGATIVE_INFINITY;
  if (previous.sentFor === undefined) return pushedAt;
  const giveUpAt = Date.now() + IN_FLIGHT_WAIT_MS;
  let slot = previous;
  while ((slot.sentFor ?? Number.NEGATIVE_INFINITY) < pushedAt) {
    if (Date.now() >= giveUpAt) return pushedAt;
    await sleep(IN_FLIGHT_POLL_MS);
    slot = await readPushSlot(table, id);
  }
  if ((slot.sentFor as number) > claimedAt) return 'superseded';
  return slot.sentAt ?? pushedAt;
}
