import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { devicePartition, SNAPSHOT_PREFIX, snapshotKey } from '../devices/storage.ts';

/**
 * The devices table as the simulator's retention sees it: a device's snapshots by time, and
 * the TTL attribute (expires_at) that has DynamoDB remove one.
 */

/** Times of a device's snapshots taken at or before `cutoff` (ISO) and not yet marked to expire. */
export async function unexpiredSnapshotTimes(table: string, mac: string, cutoff: string): Promise<string[]> {
  const times: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        FilterExpression: 'attribute_not_exists(expires_at)',
        ExpressionAttributeValues: { ':pk': devicePartition(mac), ':from': SNAPSHOT_PREFIX, ':to': `${SNAPSHOT_PREFIX}${cutoff}` },
        ProjectionExpression: 'sk',
        ExclusiveStartKey: start,
      }),
    );
    times.push(...(page.Items ?? []).map((item) => String(item.sk).slice(SNAPSHOT_PREFIX.length)));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return times;
}

/** Marks one snapshot for DynamoDB's TTL to remove once `expiresAt` (epoch seconds) has passed. */
export async function expireSnapshot(table: string, mac: string, time: string, expiresAt: number): Promise<void> {
  await documentClient().send(
    new UpdateCommand({
      TableName: table,
      Key: snapshotKey(mac, time),
      UpdateExpression: 'SET expires_at = :t',
      ExpressionAttributeValues: { ':t': expiresAt },
    }),
  );
}
