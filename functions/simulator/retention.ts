import { lambdaHandler } from '../shared/lambda-handler.ts';
import { simulatorConfig } from './config.ts';
import { expireSnapshot, unexpiredSnapshotTimes } from './retention-store.ts';
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
    for (const time of await unexpiredSnapshotTimes(config.devicesTable, device.mac_address, cutoff)) {
      await expireSnapshot(config.devicesTable, device.mac_address, time, expiresAt);
      expired++;
    }
  }
  return { expired };
});
