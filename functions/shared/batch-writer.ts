import { BatchWriteCommand, BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './dynamodb-client.ts';
import { backoffDelay, sleep } from './retry.ts';

const WRITE_CHUNK = 25;
const GET_CHUNK = 100;
const ATTEMPTS = 10;
const PARALLEL_REQUESTS = 4;

type Item = Record<string, unknown>;

/**
 * Puts every item with BatchWriteItem, 25 at a time and `parallel` requests in flight,
 * retrying UnprocessedItems with jittered backoff. Puts are idempotent, so a retry or
 * a redelivered message rewrites the same items; throws when the budget runs out.
 */
export async function putAll(tableName: string, items: readonly Item[], parallel = PARALLEL_REQUESTS): Promise<void> {
  await putAcross([{ tableName, items }], parallel);
}

/**
 * Puts the items of several tables as putAll does, in requests shared between the tables
 * (BatchWriteItem takes up to 25 items of any tables): a writer that stores a few items in
 * each of two tables makes one request, not two.
 */
export async function putAcross(tables: readonly { tableName: string; items: readonly Item[] }[], parallel = PARALLEL_REQUESTS): Promise<void> {
  const requests = tables.flatMap(({ tableName, items }) => uniqueByKey(items).map((Item) => ({ tableName, request: { PutRequest: { Item } } })));
  await writeAll(requests, parallel);
}

/** An item's key as one string: the tables here are keyed by pk and sk, or by id. */
export const keyOf = (item: Item): string => JSON.stringify([item.pk, item.sk, item.id]);

/** BatchWriteItem and BatchGetItem refuse a request that names one key twice; the last put would win anyway. */
function uniqueByKey(items: readonly Item[]): Item[] {
  return [...new Map(items.map((item) => [keyOf(item), item])).values()];
}

/** Deletes every item by key with BatchWriteItem, as putAll puts them. */
export async function deleteAll(tableName: string, keys: readonly Item[], parallel = PARALLEL_REQUESTS): Promise<void> {
  await writeAll(uniqueByKey(keys).map((Key) => ({ tableName, request: { DeleteRequest: { Key } } })), parallel);
}

type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };
type TableRequest = { tableName: string; request: WriteRequest };

async function writeAll(requests: readonly TableRequest[], parallel: number): Promise<void> {
  const chunks: TableRequest[][] = [];
  for (let i = 0; i < requests.length; i += WRITE_CHUNK) chunks.push(requests.slice(i, i + WRITE_CHUNK));
  await forEachLimited(chunks, parallel, (chunk) => writeChunk(chunk));
}

/** Puts up to 25 items in one BatchWriteItem, retrying what it leaves unprocessed as putAll does (no de-duplication). */
export async function putChunk(tableName: string, items: readonly Item[]): Promise<void> {
  await writeChunk(items.map((Item) => ({ tableName, request: { PutRequest: { Item } } })));
}

async function writeChunk(chunk: readonly TableRequest[]): Promise<void> {
  let pending = groupByTable(chunk);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt));
    const result = await documentClient().send(new BatchWriteCommand({ RequestItems: pending }));
    const unprocessed = Object.entries(result.UnprocessedItems ?? {}).filter(([, requests]) => requests.length > 0);
    if (unprocessed.length === 0) return;
    pending = Object.fromEntries(unprocessed) as Record<string, WriteRequest[]>;
  }
  const left = Object.entries(pending).map(([tableName, requests]) => `${requests.length} items unprocessed in ${tableName}`);
  throw new Error(`BatchWriteItem left ${left.join(' and ')} after ${ATTEMPTS} attempts`);
}

function groupByTable(chunk: readonly TableRequest[]): Record<string, WriteRequest[]> {
  const byTable: Record<string, WriteRequest[]> = {};
  for (const { tableName, request } of chunk) (byTable[tableName] ??= []).push(request);
  return byTable;
}

/**
 * Reads items by key with BatchGetItem, retrying UnprocessedKeys; missing keys are simply
 * absent, a key given twice is read once. `consistent` reads what was written just before
 * (a stream consumer must).
 */
export async function getAll(tableName: string, keys: readonly Item[], consistent = false): Promise<Item[]> {
  const found: Item[] = [];
  const chunks: Item[][] = [];
  const unique = uniqueByKey(keys);
  for (let i = 0; i < unique.length; i += GET_CHUNK) chunks.push(unique.slice(i, i + GET_CHUNK));
  await forEachLimited(chunks, PARALLEL_REQUESTS, async (chunk) => {
    let pending = chunk;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= ATTEMPTS) throw new Error(`BatchGetItem left ${pending.length} keys unprocessed in ${tableName}`);
      if (attempt > 0) await sleep(backoffDelay(attempt));
      const result = await documentClient().send(new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ...(consistent ? { ConsistentRead: true } : {}) } } }));
      found.push(...(result.Responses?.[tableName] ?? []));
      pending = (result.UnprocessedKeys?.[tableName]?.Keys ?? []) as Item[];
    }
  });
  return found;
}

export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(workers);
}
