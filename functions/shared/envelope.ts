import { z } from 'zod';
import { parseJson } from './json.ts';

/**
 * What travels on a queue: a batch of already-validated records under one ingest id.
 * The ingest id is assigned by the ingest function and is the unit of idempotency:
 * SQS gives redriven messages new message ids, so writers must never key on those.
 */
export const envelopeSchema = z.object({
  v: z.literal(1),
  kind: z.string().min(1),
  ingestId: z.string().min(1).max(100),
  receivedAt: z.number().int().nonnegative(),
  records: z.array(z.unknown()),
});

export type Envelope = z.infer<typeof envelopeSchema>;

export function parseEnvelope(body: string, kind: string): Envelope {
  const envelope = envelopeSchema.parse(parseJson(body));
  if (envelope.kind !== kind) throw new Error(`message of kind "${envelope.kind}" on the ${kind} queue`);
  return envelope;
}
