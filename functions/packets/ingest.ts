import { json, jsonBody } from '../shared/http.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { packetsConfig } from './config.ts';
import { parsePackets } from './packet-schema.ts';

/** POST /packets: validate every packet, queue them all or none. */
export const handler = httpHandler(async (event) => {
  const config = packetsConfig();
  const packets = parsePackets(jsonBody(event, config.maxBodyBytes));
  await publishRecords(config.queueUrl, 'packets', packets, await publishOptions(event, 'packets'));
  return json(202, { accepted: packets.length });
});
