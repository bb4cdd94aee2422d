import { readFileSync } from 'node:fs';
import { build } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deployedBuildOptions } from '../../infra/deployed-build.ts';
import { generate, targets } from '../../infra/validators/generate.ts';
import { validateEnvelope } from '../../functions/generated/envelope-validator.ts';
import { envelopeSchema } from '../../functions/shared/envelope-schema.ts';
import { parseJson, stringifyJson } from '../../functions/shared/json.ts';
import { packetSchema } from '../../functions/packets/packet-schema.ts';
import { packetProblem, queuedPackets } from '../../functions/packets/packet-check.ts';
import { readEnvelope } from '../../functions/shared/queue-envelope.ts';
import { flowRecordSchema } from '../../functions/flows/flow-schema.ts';
import { isPlainFlowRecord } from '../../functions/flows/flow-check.ts';
import { FUZZ_RUNS, hostileValue, mutatedPacket } from '../helpers/fuzz.ts';

/**
 * A value as a writer reads it off a queue: JSON text through parseJson, so big integers are
 * bigints. Its reviver recurses, and runs out of a test worker's stack on the deepest arrays.
 */
const asQueued = (value: unknown): unknown => {
  const text = JSON.stringify(value) ?? 'null';
  try {
    return parseJson(text);
  } catch {
    return JSON.parse(text);
  }
};

/** A compiled check and its schema agree on a value as a writer reads it; what they disagree on is shown only then (deep values overflow a stringify). */
function expectAgreement(accepts: (value: unknown) => boolean, schema: { safeParse(value: unknown): { success: boolean } }, value: unknown): void {
  const queued = asQueued(value);
  const compiled = accepts(queued);
  const zod = schema.safeParse(queued).success;
  if (compiled === zod) return;
  let shown: string;
  try {
    shown = stringifyJson(queued).slice(0, 300);
  } catch {
    shown = `a ${typeof queued} too deep to show`;
  }
  expect.fail(`compiled ${compiled}, zod ${zod}: ${shown}`);
}

describe('validators generated from the zod schemas', () => {
  it('are the files infra/validators/generate.ts writes from the schemas as they are', () => {
    for (const target of targets()) expect(readFileSync(target.file, 'utf8'), `${target.file} is stale: npm run generate:validators`).toBe(generate(target));
  });

  it('with the refinement beside it, accept exactly the packets packetSchema accepts', () => {
    const packets = fc.oneof(mutatedPacket, hostileValue, fc.array(mutatedPacket, { maxLength: 2 }));
    fc.assert(
      fc.property(packets, (packet) => expectAgreement((value) => packetProblem(value) === undefined, packetSchema, packet)),
      { numRuns: Math.max(FUZZ_RUNS, 1_000) },
    );
  });

  it('accept exactly the envelopes envelopeSchema accepts', () => {
    const field = <T>(valid: fc.Arbitrary<T>) => fc.option(fc.oneof(valid, valid, hostileValue), { nil: undefined });
    const envelopes = fc.record(
      {
        v: field(fc.constant(1)),
        kind: field(fc.constantFrom('packets', 'flows', '')),
        ingestId: field(fc.string({ maxLength: 120 })),
        receivedAt: field(fc.oneof(fc.nat(), fc.integer(), fc.double())),
        origin: field(fc.constantFrom('simulator', 'other')),
        records: field(fc.array(hostileValue, { maxLength: 3 })),
        extra: field(fc.string()),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(envelopes, hostileValue), (envelope) => expectAgreement(validateEnvelope, envelopeSchema, envelope)),
      { numRuns: Math.max(FUZZ_RUNS, 1_000) },
    );
  });

  it('take a flow record exactly when flowRecordSchema takes it unchanged with its counts as numbers', () => {
    const edgy = <T, U>(usual: fc.Arbitrary<T>, edges: fc.Arbitrary<U>) => fc.oneof({ arbitrary: usual, weight: 4 }, { arbitrary: edges, weight: 1 });
    const count = edgy(fc.oneof(fc.nat(), fc.maxSafeNat()), fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }), fc.integer({ min: -5, max: 5 }), fc.constantFrom(2 ** 53, 1.5, -0, '100')));
    const name = edgy(fc.string({ minLength: 1, maxLength: 40 }), fc.oneof(fc.string({ maxLength: 300 }), fc.constantFrom('', 'db\ud800', 'x'.repeat(256), 'x'.repeat(257), 'é'.repeat(129))));
    // Each field mostly valid, sometimes hostile or missing (undefined drops out of the JSON).
    const field = <T>(valid: fc.Arbitrary<T>) => fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: hostileValue, weight: 1 }, { arbitrary: fc.constant(undefined), weight: 1 });
    const records = fc.record(
      {
        src_app: field(name),
        dest_app: field(name),
        vpc_id: field(name),
        bytes_tx: field(count),
        bytes_rx: field(count),
        hour: field(edgy(fc.nat({ max: 1e9 }), fc.oneof(fc.integer(), fc.constantFrom(1e9, 1e9 + 1, 0.5)))),
        extra: fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.string(), weight: 1 }),
      },
    );
    let plain = 0;
    fc.assert(
      fc.property(fc.oneof(records, records, hostileValue), (value) => {
        // As ingest parses a body: big integers are bigints. A bigint beside arrays nested
        // thousands deep overflows the stack in stringify's replacer or parse's reviver: skipped.
        let record: Record<string, unknown> | undefined;
        try {
          record = parseJson(stringifyJson(value) ?? 'null') as Record<string, unknown>;
        } catch {
          fc.pre(false);
        }
        const zod = flowRecordSchema.safeParse(record);
        const numeric = typeof record?.bytes_tx === 'number' && typeof record?.bytes_rx === 'number';
        if (isPlainFlowRecord(record) !== (zod.success && numeric)) expect.fail(`compiled ${!(zod.success && numeric)}, zod ${zod.success}: ${stringifyJson(record).slice(0, 300)}`);
        if (zod.success && numeric) {
          expect(zod.data).toEqual(record);
          plain++;
        }
      }),
      { numRuns: Math.max(FUZZ_RUNS, 2_000) },
    );
    // The property above says something only if valid records turned up.
    expect(plain).toBeGreaterThan(100);
  });

  it('name the record and field a writer refuses', () => {
    const tcp = JSON.parse(readFileSync('events/packets/tcp-ipv4.json', 'utf8')) as { TCP: Record<string, unknown> };
    expect(() => queuedPackets([tcp, { ...tcp, TCP: { ...tcp.TCP, Source_Port: 70_000 } }])).toThrow('record 1 field TCP.Source_Port: must be <= 65535');
    expect(() => queuedPackets([tcp, { ...tcp, 'TCP/2': {} }])).toThrow('record 1 field TCP/2: unknown layer TCP/2');
    expect(() => queuedPackets([{ ...tcp, TCP: { ...tcp.TCP, Flags: { SYN: 'yes' } } }])).toThrow('record 0 field TCP.Flags.SYN: must be number');
    expect(() => queuedPackets([{ Info: {} }])).toThrow('record 0: a packet needs at least one layer');
    expect(() => queuedPackets([])).toThrow('no packets');
    expect(() => readEnvelope('{"v":1,"kind":"packets","receivedAt":1,"records":[]}')).toThrow("not a queue envelope: must have required property 'ingestId'");
    expect(() => readEnvelope('{"v":2,"kind":"packets","ingestId":"i","receivedAt":1,"records":[]}')).toThrow('not a queue envelope: field v: must be equal to constant');
  });

  // The notifications writer checks its envelopes with the compiled validator and needs nothing else of zod.
  it.each(['functions/packets/writer.ts', 'functions/notifications/writer.ts'])('keep zod out of %s: bundled, its import alone took 17-18 ms of a cold start', async (entry) => {
    const { metafile } = await build({ ...deployedBuildOptions(), entryPoints: [entry], write: false, metafile: true, logLevel: 'silent' });
    expect(Object.keys(metafile.inputs).filter((input) => input.includes('node_modules/zod/'))).toEqual([]);
  });
});
