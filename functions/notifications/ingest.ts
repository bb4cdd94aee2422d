import { bodyText, mediaType } from '../shared/http-request.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { ingestIdsInLogs } from '../shared/observability.ts';
import { notificationsConfig } from './config.ts';
import { decodeNotification, encodingOf } from './decode.ts';
import { normalizeNotification } from './notification.ts';

/**
 * POST /relay-notification (and /notifications): an https-notif publisher's notification,
 * JSON or XML. 204 once it is queued; publishers retry on anything else.
 */
export const handler = httpHandler(async (event) => {
  const config = notificationsConfig();
  const encoding = encodingOf(mediaType(event));
  const content = decodeNotification(bodyText(event, config.maxBodyBytes), encoding);
  const notification = normalizeNotification(content, encoding, event.requestContext.http.sourceIp);
  ingestIdsInLogs(await publishRecords(config.queueUrl, 'notifications', [notification], await publishOptions(event, 'notifications')));
  return { statusCode: 204 };
});
