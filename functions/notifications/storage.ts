import { sortKeyCursor } from '../shared/cursor.ts';
import type { Envelope } from '../shared/queue-envelope.ts';
import { shardOf } from '../shared/sharding.ts';
import type { InterfaceReading } from '../devices/interfaces.ts';
import { isDeviceMac, normalizeMac } from '../devices/mac.ts';
import { instantOf } from './event-time.ts';
import type { InterfaceRecord } from './interface-schema.ts';
import type { NormalizedNotification } from './notification.ts';

/**
 * Key design. History: partition `notif#<shard>` (shard from the ingest id), sort key
 * `<eventTime, UTC>#<ingest id>#<index>`, so listing newest first merges a few ordered shards.
 * Time series: partition `if#<interface key>`, the key being the interface's MAC when it
 * names a device, else `<publisher>/<name>`, sort key the history's plus the interface name. Keys derive from the message alone, so a
 * redelivered message rewrites the same items.
 */
/** `<eventTime, UTC>#<ingest id>#<index in the message>`: unique, and ordered by time. */
export function sortKey(eventTime: string, ingestId: string, index: number): string {
  return `${instantOf(eventTime)}#${ingestId}#${index}`;
}

export function historyPartition(shard: number): string {
  return `notif#${shard}`;
}

/**
 * A history cursor is the sort key of the last notification returned. Its shape is
 * `<ISO 8601 time>#<ingest id>#<index>`, bounded so that no cursor can carry DynamoDB past
 * its key-size limit.
 */
export const historyCursor = sortKeyCursor(/^[+-]?\d{4,6}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#[\w#:-]{1,200}$/);

export function deviceMacOf(iface: InterfaceRecord): string | undefined {
  const mac = iface['phys-address'] === undefined ? undefined : normalizeMac(iface['phys-address']);
  return mac !== undefined && isDeviceMac(mac) ? mac : undefined;
}

export function interfaceKey(iface: InterfaceRecord, publisher: string | undefined): string {
  return deviceMacOf(iface) ?? `${publisher ?? 'unknown'}/${iface.name}`;
}

export function notificationItems(envelope: Envelope, notification: NormalizedNotification, index: number, shards: number, expiresAt: number): Record<string, unknown>[] {
  const sk = sortKey(notification.eventTime, envelope.ingestId, index);
  const history = { pk: historyPartition(shardOf(envelope.ingestId, shards)), sk, notification, expires_at: expiresAt };
  // The interface name is in the sort key too: a bond and its VLANs share one MAC.
  const series = (notification.interfaces ?? []).map((iface) => ({
    pk: `if#${interfaceKey(iface, notification.publisher)}`,
    sk: `${sk}#${iface.name}`,
    eventTime: notification.eventTime,
    interface: iface,
    expires_at: expiresAt,
  }));
  return [history, ...series];
}

/** The readings device views take from a notification: interfaces whose MAC names a device. */
export function deviceReadings(notification: NormalizedNotification): InterfaceReading[] {
  return (notification.interfaces ?? []).flatMap((iface) => {
    const mac = deviceMacOf(iface);
    if (mac === undefined) return [];
    const stats = iface.statistics as Record<string, unknown>;
    return [
      {
        mac,
        name: iface.name,
        eventTime: instantOf(notification.eventTime),
        operStatus: iface['oper-status'],
        discontinuityTime: String(stats['discontinuity-time']),
        inOctets: String(stats['in-octets'] ?? '0'),
        outOctets: String(stats['out-octets'] ?? '0'),
        statistics: iface as Record<string, unknown>,
      },
    ];
  });
}
