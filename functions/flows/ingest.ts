import { unsupportedMediaType } from '../shared/errors.ts';
import { json } from '../shared/http-response.ts';
import { bodyText, mediaType } from '../shared/http-request.ts';
import { jsonBody } from '../shared/request-json.ts';
import { httpHandler } from '../shared/http-handler.ts';
import { publishOptions } from '../shared/idempotent-request.ts';
import { publishRecords } from '../shared/queue-publisher.ts';
import { ingestIdsInLogs } from '../shared/observability.ts';
import { flowsConfig } from './config.ts';
import { handling, preferenceApplied } from '../shared/lenient.ts';
import { parseFlowRequest } from './flow-schema.ts';
import { parseVpcFlowLogs } from './vpc-flow-logs.ts';

/** POST /flows (and /flowlogs): a JSON array of flow records, or AWS VPC Flow Logs as text/plain. */
export const handler = httpHandler(async (event) => {
  const config = flowsConfig();
  const type = mediaType(event);
  if (type === 'text/plain') {
    const { records, ...rest } = parseVpcFlowLogs(bodyText(event, config.maxBodyBytes), handling(event));
    if (records.length > 0) ingestIdsInLogs(await publishRecords(config.queueUrl, 'flows', records, await publishOptions(event, 'flows')));
    return json(202, { accepted: records.length, ...rest }, preferenceApplied(rest));
  }
  if (type !== undefined && type !== 'application/json' && !type.endsWith('+json')) {
    throw unsupportedMediaType(`Content-Type ${type} is not supported; send application/json, or text/plain for VPC Flow Logs`);
  }
  const { records, ...lenient } = parseFlowRequest(jsonBody(event, config.maxBodyBytes), handling(event));
  ingestIdsInLogs(await publishRecords(config.queueUrl, 'flows', records, await publishOptions(event, 'flows')));
  return json(202, { accepted: records.length, ...lenient }, preferenceApplied(lenient));
});
