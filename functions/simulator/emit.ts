import { publishRecords } from '../shared/queue-publisher.ts';
import { parseInventory } from '../devices/inventory-schema.ts';
import { parseNetify } from '../devices/netify.ts';
import { parseFlowRecords } from '../flows/flow-schema.ts';
import { decodeJsonNotification } from '../notifications/json-notification.ts';
import { normalizeNotification } from '../notifications/notification.ts';
import { parsePackets } from '../packets/packet-schema.ts';
import type { Emissions } from './emissions.ts';

export interface QueueUrls {
  packets: string;
  flows: string;
  notifications: string;
  devices: string;
}

/**
 * Puts a step's emissions on the same queues real clients reach, through the same
 * validation. The idempotency key makes a retried step produce the same messages under
 * the same ingest ids, so downstream stores them once.
 */
export async function emitToQueues(emissions: Emissions, queues: QueueUrls, idempotencyKey: string, clock: string): Promise<Record<string, number>> {
  // Stamped with the simulated time, so that a run is the same whatever the wall clock says.
  const key = (kind: string) => ({ idempotencyKey: `${idempotencyKey}/${kind}`, receivedAt: Date.parse(clock), origin: 'simulator' as const });
  const notifications = emissions.notifications.map((text) => normalizeNotification(decodeJsonNotification(text), 'json', 'simulator'));
  const netify = emissions.netify === '' ? [] : parseNetify(emissions.netify).records;
  const packets = emissions.packets.length === 0 ? [] : parsePackets(emissions.packets);
  const flows = emissions.flows.length === 0 ? [] : parseFlowRecords(emissions.flows);
  const inventory = parseInventory(emissions.inventory);
  await Promise.all([
    publishRecords(queues.devices, 'inventory', inventory, key('inventory')),
    publishRecords(queues.notifications, 'notifications', notifications, key('notifications')),
    packets.length > 0 ? publishRecords(queues.packets, 'packets', packets, key('packets')) : undefined,
    flows.length > 0 ? publishRecords(queues.flows, 'flows', flows, key('flows')) : undefined,
    netify.length > 0 ? publishRecords(queues.devices, 'netify', netify, key('netify')) : undefined,
  ]);
  return { inventory: inventory.length, notifications: notifications.length, packets: packets.length, flows: flows.length, netify: netify.length };
}
