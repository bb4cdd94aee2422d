import { json } from '../shared/http-response.ts';
import { jsonBody } from '../shared/request-json.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { ingestIdsInLogs } from '../shared/observability.ts';
import { packetsConfig } from './config.ts';
import { handling, preferenceApplied } from '../shared/lenient.ts';
import { parsePacketRequest } from './packet-schema.ts';

/** POST /packets: validate every packet, queue them all or none. */
export const handler = httpHandler(async (event) => {
  const config = packetsConfig();
  const { records: packets, ...lenient } = parsePacketRequest(jsonBody(event, config.maxBodyBytes), handling(event));
  ingestIdsInLogs(await publishRecords(config.queueUrl, 'packets', packets, await publishOptions(event, 'packets')));
  return json(202, { accepted: packets.length, ...lenient }, preferenceApplied(lenient));
});
