import { integerEnv, requiredEnv } from '../shared/env.ts';

/** The live channel's settings; each function reads only the ones it needs. */
export const connectionsTable = (): string => requiredEnv('LIVE_CONNECTIONS_TABLE');
/** The URL a browser opens: wss://<api>.execute-api.<region>.amazonaws.com/<stage> deployed. */
export const websocketUrl = (): string => requiredEnv('LIVE_WEBSOCKET_URL');
/** The @connections management endpoint of the same API: https://, same host and stage. */
export const connectionsEndpoint = (): string => requiredEnv('LIVE_CONNECTIONS_ENDPOINT');
/** Snapshots per device in a message (seed 004's panel plots the last hour, one a minute). */
export const snapshotsPerDevice = (): number => integerEnv('LIVE_SNAPSHOTS', 60);
/**
 * Devices a push reads at most. A message holds about 400 with one snapshot each (fitMessage
 * keeps those seen last); past this many devices, a push reads the ones that changed last.
 */
export const maxDevicesPerPush = (): number => integerEnv('LIVE_MAX_DEVICES', 500);
