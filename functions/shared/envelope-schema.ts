import * as z from 'zod';

/**
 * What travels on a queue: a batch of already-validated records under one ingest id.
 * The ingest id is assigned by the ingest function and is the unit of idempotency:
 * SQS gives redriven messages new message ids, so writers must never key on those.
 * Writers check it with the validator generated from this schema
 * (functions/generated/envelope-validator.ts), which spares them zod's import.
 */
export const envelopeSchema = z.object({
  v: z.literal(1),
  kind: z.string().min(1),
  ingestId: z.string().min(1).max(100),
  receivedAt: z.number().int().nonnegative(),
  /** Set on what the simulated network sends, so that its devices are marked as simulated. */
  origin: z.literal('simulator').optional(),
  records: z.array(z.unknown()),
});

export type Envelope = z.infer<typeof envelopeSchema>;
