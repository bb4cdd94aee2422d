import { GetCommand, ScanCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from '../shared/dynamodb-client.ts';
import { cancellationReasons } from '../shared/exactly-once.ts';
import { expressionPlaceholders } from '../shared/expression-placeholders.ts';
import { PROTOCOLS, type Protocol } from './protocols.ts';
import { counterKey } from './storage.ts';

/** A count in the layout before one item per shard: `<protocol>#<shard>` with a number `packets`. */
export interface LegacyCount {
  pk: string;
  packets: number | bigint;
}

const ATTEMPTS = 5;

/** The protocol and shard of a legacy count's key, or undefined for any other item. */
export function legacyCountKey(pk: string): { protocol: Protocol; shard: number } | undefined {
  const match = /^(\w+)#(\d+)$/.exec(pk);
  // The current layout's own items (`protocols#<shard>`) name no protocol.
  const protocol = PROTOCOLS.find((p) => p === match?.[1]);
  return protocol === undefined ? undefined : { protocol, shard: Number(match?.[2]) };
}

/**
 * Moves the counts a stack stored before one item per shard into that item, each exactly
 * once: one transaction adds a legacy item's number to its protocol on the same shard and
 * deletes the item on condition that the number is still what was read. A writer of the old
 * layout that adds to it meanwhile (one still running while the stack updates) fails the
 * condition, and the item is read and moved again. Run twice, the second run finds nothing.
 * Returns how many items were moved.
 */
export async function moveLegacyCounts(countsTable: string): Promise<number> {
  let moved = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(new ScanCommand({ TableName: countsTable, ExclusiveStartKey: start, ConsistentRead: true }));
    for (const item of (page.Items ?? []) as LegacyCount[]) {
      if (legacyCountKey(item.pk) !== undefined && item.packets !== undefined) moved += await moveLegacyCount(countsTable, item);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return moved;
}

/** Moves one legacy count as it was read; read again while a writer of the old layout changes it. Returns 1 when moved, 0 when it was gone. */
export async function moveLegacyCount(countsTable: string, read: LegacyCount): Promise<number> {
  let item: LegacyCount | undefined = read;
  for (let attempt = 0; attempt < ATTEMPTS && item !== undefined; attempt++) {
    const { protocol, shard } = legacyCountKey(item.pk) as { protocol: Protocol; shard: number };
    const placeholders = expressionPlaceholders();
    const update = `ADD ${placeholders.name(protocol)} ${placeholders.value(item.packets)}`;
    try {
      await documentClient().send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: countsTable,
                Key: counterKey(shard),
                UpdateExpression: update,
                ExpressionAttributeNames: placeholders.names,
                ExpressionAttributeValues: placeholders.values,
              },
            },
            { Delete: { TableName: countsTable, Key: { pk: item.pk }, ConditionExpression: 'packets = :n', ExpressionAttributeValues: { ':n': item.packets } } },
          ],
        }),
      );
      return 1;
    } catch (error) {
      if (cancellationReasons(error)?.[1]?.code !== 'ConditionalCheckFailed') throw error;
      item = await readLegacy(countsTable, item.pk);
    }
  }
  if (item !== undefined) throw new Error(`the count ${item.pk} kept changing while it was moved; run the migration again once no writer of the old layout runs`);
  return 0;
}

async function readLegacy(countsTable: string, pk: string): Promise<LegacyCount | undefined> {
  const { Item } = await documentClient().send(new GetCommand({ TableName: countsTable, Key: { pk }, ConsistentRead: true }));
  return Item as LegacyCount | undefined;
}
