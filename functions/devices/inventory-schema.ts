import { isIP } from 'node:net';
import { z } from 'zod';
import { normalizeMac } from './mac.ts';

const text = z.string().trim().min(1).max(256);

/** A device inventory record (the simulated network's static device data). */
export const inventoryRecordSchema = z.strictObject({
  host_name: text,
  device_type: text,
  operating_system: text,
  mac_address: z.string().transform((value, ctx) => {
    const mac = normalizeMac(value);
    if (mac === undefined) ctx.addIssue({ code: 'custom', message: `"${value}" is not a MAC address (six hex octets separated by : or -)` });
    return mac ?? value;
  }),
  ip_address: z.string().refine((value) => isIP(value) !== 0, { message: 'not an IPv4 or IPv6 address' }),
});

export type InventoryRecord = z.infer<typeof inventoryRecordSchema>;
