import { unsupportedMediaType } from '../shared/errors.ts';
import { json } from '../shared/http-response.ts';
import { bodyText, mediaType } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { ingestIdsInLogs } from '../shared/observability.ts';
import { devicesConfig } from './config.ts';
import { handling, preferenceApplied } from '../shared/lenient.ts';
import { NETIFY_MEDIA_TYPES, parseNetify } from './netify.ts';

const ACCEPTED_TYPES = new Set<string | undefined>([undefined, ...NETIFY_MEDIA_TYPES]);

/** POST /netify: the Netify agent's newline-delimited JSON, as read from its socket. */
export const handler = httpHandler(async (event) => {
  const config = devicesConfig();
  const type = mediaType(event);
  if (!ACCEPTED_TYPES.has(type)) throw unsupportedMediaType(`Content-Type ${type} is not supported; send ${NETIFY_MEDIA_TYPES.join(', ')}`);
  const { records, ...rest } = parseNetify(bodyText(event, config.maxBodyBytes), handling(event));
  if (records.length > 0) ingestIdsInLogs(await publishRecords(config.queueUrl, 'netify', records, await publishOptions(event, 'netify')));
  return json(202, { accepted: records.length, ...rest }, preferenceApplied(rest));
});
