import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/**
 * One Logger and one Metrics per function (a Lambda runs one handler). The service name is
 * the function's own (POWERTOOLS_SERVICE_NAME, else AWS_LAMBDA_FUNCTION_NAME); the level
 * comes from POWERTOOLS_LOG_LEVEL. Metrics go out as CloudWatch EMF on stdout, each as a
 * single metric flushed at once: its dimensions are its own, and nothing waits for the end
 * of an invocation (so no logMetrics middleware, which also warns on every invocation that
 * adds none).
 */
const service = process.env.POWERTOOLS_SERVICE_NAME ?? process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'netingest';
export const logger = new Logger({ serviceName: service });
export const metrics = new Metrics({ namespace: 'netingest', serviceName: service });

/**
 * The ingest ids a request's records were queued under, on every later log line of its
 * invocation: `ingestId` for one message, `ingestIds` when the body packed into several.
 * Appended keys, like the route and request id, so the handler chain drops them when the
 * invocation ends and the next request never carries them.
 */
export function ingestIdsInLogs(messages: readonly { ingestId: string }[]): void {
  const [first, ...rest] = messages;
  if (first === undefined) return;
  logger.appendKeys(rest.length === 0 ? { ingestId: first.ingestId } : { ingestIds: messages.map((m) => m.ingestId) });
}

/** One metric under dimensions of its own (route, reason), so they do not mix with others. */
type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * One single-metric emitter per set of dimensions, made once and kept: metrics.singleMetric()
 * builds a new Metrics (its console, its environment read again) on every call, which cost
 * about 5% of the local runtime's CPU at one packet per POST. The dimensions are its
 * defaults, so they stay after each flush; the sets are few (routes, writers, reasons).
 */
const emitters = new Map<string, Metrics>();

function countWith(name: string, value: number, dimensions: Record<string, string>, unit: Unit = MetricUnit.Count): void {
  if (value <= 0 && unit === MetricUnit.Count) return;
  const key = JSON.stringify(dimensions);
  let emitter = emitters.get(key);
  if (emitter === undefined) {
    emitter = metrics.singleMetric();
    emitter.setDefaultDimensions(dimensions);
    emitters.set(key, emitter);
  }
  emitter.addMetric(name, unit, value);
}

export const recordAccepted = (route: string, records: number) => countWith('RecordsAccepted', records, { route });
export const recordRejected = (route: string, reason: string, requests = 1) => countWith('RequestsRejected', requests, { route, reason });
export const recordStored = (writer: string, messages: number) => countWith('MessagesStored', messages, { writer });
export const recordDeadLettered = (writer: string, reason: string) => countWith('MessagesDeadLettered', 1, { writer, reason });
/** Messages a writer had no time for near their last receive, sent to their queue again. */
export const recordRequeued = (writer: string, messages: number) => countWith('MessagesRequeued', messages, { writer });
/** Milliseconds from the ingest function's receipt to the writer's store. */
export const recordWriterLag = (writer: string, ms: number) => countWith('WriterLag', Math.max(0, ms), { writer }, MetricUnit.Milliseconds);
