import { httpHandler, idempotencyKey, json, jsonBody } from '../shared/http.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { packetsConfig } from './config.ts';
import { parsePackets } from './packet-schema.ts';

/** POST /packets: validate every packet, queue them all or none. */
export const handler = httpHandler(async (event) => {
  const config = packetsConfig();
  const packets = parsePackets(jsonBody(event, config.maxBodyBytes));
  await publishRecords(config.queueUrl, 'packets', packets, { idempotencyKey: idempotencyKey(event), receivedAt: event.requestContext.timeEpoch });
  return json(202, { accepted: packets.length });
});
