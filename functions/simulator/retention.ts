import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { lambdaHandler } from '../shared/lambda-handler.ts';
import { documentClient } from '../shared/dynamodb-client.ts';
import { snapshotKey } from '../devices/storage.ts';
import { simulatorConfig } from './config.ts';
import { loadState } from './state-store.ts';

/**
 * Hourly: marks the simulated devices' snapshots older than SIM_RETENTION_HOURS for
 * DynamoDB's TTL to remove. Only the simulator's own devices are touched; real data is
 * never cleaned (the hourly wipe of the dashboard this replaces is not wanted).
 */
export const handler = lambdaHandler(async (event: { time?: string }): Promise<{ expired: number }> => {
  const config = simulatorConfig();
  const state = (await loadState(config.devicesTable))?.state;
  if (state === undefined) return { expired: 0 };
  const now = event.time === undefined ? Date.now() : Date.parse(event.time);
  const cutoff = new Date(now - config.retentionHours * 3_600_000).toISOString();
  const expiresAt = Math.floor(now / 1000);
  let expired = 0;
  for (const device of state.devices) {
    const old: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await documentClient().send(
        new QueryCommand({
          TableName: config.devicesTable,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          FilterExpression: 'attribute_not_exists(expires_at)',
          ExpressionAttributeValues: { ':pk': `dev#${device.mac_address}`, ':from': 'snap#', ':to': `snap#${cutoff}` },
          ExclusiveStartKey: start,
        }),
      );
      old.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    for (const item of old) {
      await documentClient().send(
        new UpdateCommand({
          TableName: config.devicesTable,
          Key: snapshotKey(device.mac_address, String(item.sk).slice('snap#'.length)),
          UpdateExpression: 'SET expires_at = :t',
          ExpressionAttributeValues: { ':t': expiresAt },
        }),
      );
      expired++;
    }
  }
  return { expired };
});
