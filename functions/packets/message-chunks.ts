/**
 * The messages from `start` that are stored together: at most `maxMessages`, and no more
 * bodies than `maxBytes` holds, but always at least one message, however big.
 */
export function nextChunk<T extends { body: string }>(messages: readonly T[], start: number, maxMessages: number, maxBytes: number): T[] {
  const last = Math.min(messages.length, start + Math.max(1, maxMessages));
  let end = Math.min(start + 1, last);
  let bytes = messages[start]?.body.length ?? 0;
  for (let next = messages[end]; end < last && next !== undefined && bytes + next.body.length <= maxBytes; next = messages[end]) {
    bytes += next.body.length;
    end += 1;
  }
  return messages.slice(start, end);
}
