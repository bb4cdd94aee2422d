import { flowsConfig } from '../../functions/flows/config.ts';
import { foldDeltas, type FoldResult } from '../../functions/flows/fold.ts';
import { readHour } from '../../functions/flows/read-store.ts';
import { pendingPartition, type HourPosition } from '../../functions/flows/storage.ts';
import { queryPartition } from '../../functions/shared/partition-query.ts';

type Item = Record<string, unknown>;

/** Every row of an hour as the flows query reads it (folded sums plus pending deltas), by key. */
export async function hourSums(hour: number, pageSize = 1000): Promise<Map<string, Item>> {
  const rows = new Map<string, Item>();
  let position: HourPosition | undefined = { shard: 0 };
  while (position !== undefined) {
    const page = await readHour(hour, pageSize, position);
    for (const row of page.rows) {
      if (rows.has(String(row.sk))) throw new Error(`key ${String(row.sk)} read twice`);
      rows.set(String(row.sk), row);
    }
    position = page.next;
  }
  return rows;
}

/** The keys of an hour's pending deltas, as the table's stream would name them to the folder. */
export async function pendingKeys(hour: number): Promise<{ pk: string; sk: string }[]> {
  const config = flowsConfig();
  const keys: { pk: string; sk: string }[] = [];
  for (let shard = 0; shard < config.shards; shard++) {
    const pk = pendingPartition(hour, shard);
    for (const item of await queryPartition(config.flowsTable, pk, { attributes: ['sk'] })) keys.push({ pk, sk: String(item.sk) });
  }
  return keys;
}

/** Folds every pending delta of an hour, as the folder does when the stream names them. */
export async function foldHour(hour: number): Promise<FoldResult> {
  const config = flowsConfig();
  return foldDeltas(await pendingKeys(hour), { flowsTable: config.flowsTable, markerTable: config.idempotencyTable });
}
