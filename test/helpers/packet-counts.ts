import { getAll } from '../../functions/shared/batch-writer.ts';
import { parseEnvelope, type PackedMessage } from '../../functions/shared/queue-envelope.ts';
import { packetsConfig } from '../../functions/packets/config.ts';
import type { Packet } from '../../functions/packets/packet-schema.ts';
import { allCounterKeys, layersOf, sumCounters } from '../../functions/packets/storage.ts';

/** The packet counts per protocol these queue messages add once stored. */
export function expectedCounts(sent: PackedMessage[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const message of sent) {
    for (const packet of parseEnvelope(message.body, 'packets').records as Packet[]) {
      for (const protocol of layersOf(packet)) counts[protocol] = (counts[protocol] ?? 0) + 1;
    }
  }
  return counts;
}

/** The packet counts per protocol the counter shards hold, read from the table. */
export async function storedCounts(): Promise<Record<string, number>> {
  const config = packetsConfig();
  return Object.fromEntries(sumCounters(await getAll(config.countsTable, allCounterKeys(config.counterShards))));
}
