import secureJson from 'secure-json-parse';
import { packRecords } from '../functions/shared/queue-envelope.ts';
import { parsePackets } from '../functions/packets/packet-schema.ts';
import { packets } from './fixtures.ts';

/** Packets/s through parse + validate + pack on one core, no emulator involved. */
export function handlerCpuRun(count = 10_000): number {
  const bodies = Array.from({ length: count / 1000 }, (_, i) => JSON.stringify(packets(1000, 1_700_000_000 + i)));
  const started = performance.now();
  for (const body of bodies) packRecords('packets', parsePackets(secureJson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' })));
  return count / ((performance.now() - started) / 1000);
}
