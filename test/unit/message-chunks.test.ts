import { describe, expect, it } from 'vitest';
import { nextChunk } from '../../functions/packets/message-chunks.ts';

const message = (id: string, bytes: number) => ({ id, body: 'x'.repeat(bytes) });
const ids = (chunk: { id: string }[]) => chunk.map((m) => m.id);

describe('nextChunk: the messages a packets writer stores together', () => {
  const small = Array.from({ length: 25 }, (_, i) => message(`s${i}`, 1_000));

  it('takes up to the message count when the bodies are small', () => {
    expect(ids(nextChunk(small, 0, 10, 256 * 1024))).toEqual(small.slice(0, 10).map((m) => m.id));
    expect(ids(nextChunk(small, 20, 10, 256 * 1024))).toEqual(['s20', 's21', 's22', 's23', 's24']);
  });

  it('stops before the bodies pass the byte bound', () => {
    expect(ids(nextChunk(small, 3, 10, 3_500))).toEqual(['s3', 's4', 's5']);
  });

  it('takes a message bigger than the bound alone, and one full message at a time', () => {
    const full = [message('a', 262_000), message('b', 262_000), message('c', 500)];
    expect(ids(nextChunk(full, 0, 10, 256 * 1024))).toEqual(['a']);
    expect(ids(nextChunk(full, 1, 10, 256 * 1024))).toEqual(['b']);
    expect(ids(nextChunk(full, 2, 10, 256 * 1024))).toEqual(['c']);
  });

  it('always takes one message, and nothing past the end', () => {
    expect(ids(nextChunk(small, 0, 0, 10))).toEqual(['s0']);
    expect(nextChunk(small, 25, 10, 256 * 1024)).toEqual([]);
  });

  it('covers every message exactly once when walked to the end', () => {
    const mixed = [message('a', 100_000), message('b', 100_000), message('c', 100_000), message('d', 10), message('e', 300_000), message('f', 10)];
    const seen: string[] = [];
    for (let i = 0; i < mixed.length; ) {
      const chunk = nextChunk(mixed, i, 10, 256 * 1024);
      seen.push(...ids(chunk));
      i += chunk.length;
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });
});
