import type { Context, DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { invocationDeadline } from '../shared/deadline.ts';
import { logger } from '../shared/observability.ts';
import { connectionsTable, maxDevicesPerPush, snapshotsPerDevice } from './config.ts';
import { PUSH_INTERVAL_MS, claimPush, confirmPush, isConnectionKey, listConnections, removeConnection } from './connections.ts';
import { currentDevices } from './device-state.ts';
import { changedDevices, noteRecentDevices, recentDevices } from './recent-devices.ts';
import { fitMessage } from './message.ts';
import { postToConnection } from './push.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** A new connection may not be open yet when its record's stream event arrives. */
const NEW_CONNECTION_RETRY_MS = 500;

/**
 * Fed by two DynamoDB Streams: the devices table's (any change: every connection gets the
 * device array again) and the connections table's (a new connection gets it once).
 *
 * Bursts are coalesced to at most one push per connection per second, across concurrent
 * invocations: a push first claims the connection's slot (a conditional write of
 * pushed_at), then reads the devices, so a push claimed after this invocation started
 * carries this invocation's change too. Just before sending it confirms the claim, recording
 * the send time (sent_at), and the next claim waits a second after that: deliveries, not
 * only claims, are a second apart, however long a read took. A connection pushed to within
 * the last second by an older push is waited for and pushed to when its slot frees; one
 * claimed by a newer push is left to it. Failures are logged, not retried: the next change
 * pushes again.
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
    const claimed = claims.filter((c) => c.claim.claimed).map((c) => c.id);
    const waiting: { id: string; at: number }[] = [];
    for (const { id, claim } of claims) {
      if (claim.claimed || claim.pushedAt === undefined || claim.pushedAt >= startedAt) continue;
      // An older push holds the slot: it frees a second after that push's claim or send, whichever is later.
      waiting.push({ id, at: Math.max(claim.pushedAt, claim.sentAt ?? 0) + PUSH_INTERVAL_MS });
    }
    if (claimed.length > 0) await pushTo(claimed, claimedAt, fresh, table, deadline);
    pending = waiting.map((w) => w.id);
    if (pending.length > 0) await sleep(Math.max(0, Math.min(...waiting.map((w) => w.at)) - Date.now()));
  }
});

async function pushTo(connectionIds: readonly string[], claimedAt: number, fresh: ReadonlySet<string>, table: string, deadline: number): Promise<void> {
  const maxDevices = maxDevicesPerPush();
  const { devices, capped, shortOfTime } = await currentDevices(snapshotsPerDevice(), { maxDevices, recent: (limit) => recentDevices(table, limit), deadline });
  if (shortOfTime) logger.warn('pushing the devices read before the time ran short', { devices: devices.length, capped });
  else if (capped) logger.debug('more devices than a push reads: pushing those that changed last', { devices: devices.length, maxDevices });
  const message = fitMessage(devices);
  const send = async (id: string): Promise<boolean | 'superseded'> => ((await confirmPush(table, id, claimedAt)) ? postToConnection(id, message) : 'superseded');
  await Promise.all(
    connectionIds.map(async (id) => {
      try {
        let delivered = await send(id);
        if (delivered === false && fresh.has(id)) {
          await sleep(NEW_CONNECTION_RETRY_MS);
          delivered = await send(id);
        }
        if (delivered === false) {
          await removeConnection(table, id);
          logger.info('connection gone, removed', { connectionId: id });
        }
      } catch (error) {
        logger.warn('push failed', { connectionId: id, error: error as Error });
      }
    }),
  );
}
