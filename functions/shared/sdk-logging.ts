/**
 * Takes the SDK's logger middleware out of a client. On every call it walks the whole request
 * and response through their schemas (masking sensitive members) to build a log entry, even
 * for the no-op logger a client has by default, and none of these clients logs: the
 * functions log through Powertools. That walk is most of a writer's first invocation before
 * its first request, and time on every later one.
 */
export function withoutSdkLogging<T extends { middlewareStack: { removeByTag(tag: string): boolean } }>(client: T): T {
  client.middlewareStack.removeByTag('LOGGER');
  return client;
}
