import type { DynamoDBStreamEvent } from 'aws-lambda';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { forEachLimited } from '../shared/batch-writer.ts';
import { integerEnv, requiredEnv } from '../shared/env.ts';
import { logger } from '../shared/observability.ts';
import { queryPartition } from '../shared/partition-query.ts';
import { shardOf } from '../shared/sharding.ts';
import { foldSightings, type SightingsFoldResult } from './sightings-fold.ts';
import { PACKET_SIGHTING_PREFIX, macOfDevicePartition } from './storage.ts';

const PARALLEL_DEVICES = 4;

/**
 * Fed by the devices table's stream (keys only): folds a device's packet sightings into its
 * folded shard (sightings-fold.ts) once SIGHTING_FOLD_AFTER of them are pending, all
 * together, so that a busy device's sightings are merged many messages at a time and a
 * reader adds at most about that many. A device is checked on one new sighting in
 * SIGHTING_FOLD_CHECK_EVERY, chosen by a hash of its key (a redelivered batch checks the
 * same), so that the many devices seen in a single message cost no query each; a busy
 * device is checked about that often. Other items of the table, and the folder's own
 * writes, are passed over. A failure throws, so that the stream delivers the batch again
 * (a sighting left pending is still counted by readers, never lost).
 */
export const handler = lambdaHandler(async (event: DynamoDBStreamEvent): Promise<void> => {
  const devicesTable = requiredEnv('DEVICES_TABLE');
  const foldAfter = integerEnv('SIGHTING_FOLD_AFTER', 16);
  const checkEvery = integerEnv('SIGHTING_FOLD_CHECK_EVERY', 8);
  const partitions = new Set<string>();
  for (const record of event.Records) {
    const [pk, sk] = [record.dynamodb?.Keys?.pk?.S, record.dynamodb?.Keys?.sk?.S];
    if (record.eventName === 'REMOVE' || pk === undefined || sk?.startsWith(PACKET_SIGHTING_PREFIX) !== true) continue;
    if (shardOf(`${pk}\u0000${sk}`, checkEvery) === 0) partitions.add(pk);
  }
  const total: SightingsFoldResult = { folded: 0, duplicates: 0, transactions: 0 };
  await forEachLimited([...partitions], PARALLEL_DEVICES, async (pk) => {
    // Consistent: the sightings the stream names were just written, and the fold reads them whole.
    const pending = await queryPartition(devicesTable, pk, { beginsWith: PACKET_SIGHTING_PREFIX, consistent: true });
    if (pending.length < foldAfter) return;
    const result = await foldSightings(macOfDevicePartition(pk), pending, { devicesTable, markerTable: requiredEnv('IDEMPOTENCY_TABLE') });
    total.folded += result.folded;
    total.duplicates += result.duplicates;
    total.transactions += result.transactions;
  });
  if (total.transactions > 0 || total.duplicates > 0) logger.info('packet sightings folded', { ...total });
});
