import { integerEnv, requiredEnv } from '../shared/env.ts';

export const simulatorConfig = () => ({
  seed: process.env.SIM_SEED || '42',
  devices: integerEnv('SIM_DEVICES', 12),
  retentionHours: integerEnv('SIM_RETENTION_HOURS', 24),
  devicesTable: requiredEnv('DEVICES_TABLE'),
  queues: {
    packets: requiredEnv('PACKETS_QUEUE_URL'),
    flows: requiredEnv('FLOWS_QUEUE_URL'),
    notifications: requiredEnv('NOTIFICATIONS_QUEUE_URL'),
    devices: requiredEnv('DEVICES_QUEUE_URL'),
  },
});
