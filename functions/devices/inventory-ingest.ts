import { json } from '../shared/http-response.ts';
import { jsonBody } from '../shared/request-json.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { ingestIdsInLogs } from '../shared/observability.ts';
import { devicesConfig } from './config.ts';
import { handling, preferenceApplied } from '../shared/lenient.ts';
import { parseInventoryRequest, type InventoryRecord } from './inventory-schema.ts';

/** POST /devices: inventory records, upserted by MAC address. */
export const handler = httpHandler(async (event) => {
  const config = devicesConfig();
  const { records, ...lenient } = parseInventoryRequest(jsonBody(event, config.maxBodyBytes), handling(event));
  ingestIdsInLogs(await publishRecords(config.queueUrl, 'inventory', lastOfEachDevice(records), await publishOptions(event, 'inventory')));
  return json(202, { accepted: records.length, ...lenient }, preferenceApplied(lenient));
});

/**
 * A device listed twice in one request is as its later record says, as if the records were
 * applied in order: they share one time, at which the writers would keep either one.
 */
function lastOfEachDevice(records: InventoryRecord[]): InventoryRecord[] {
  const byMac = new Map(records.map((record) => [record.mac_address, record]));
  return byMac.size === records.length ? records : [...byMac.values()];
}
