import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../../functions/shared/errors.ts';
import { layerSchemas } from '../../functions/packets/layer-schemas.ts';
import { parsePackets } from '../../functions/packets/packet-schema.ts';
import { PROTOCOLS } from '../../functions/packets/protocols.ts';

const samples = readdirSync('events/packets').map((file) => ({
  file,
  packet: JSON.parse(readFileSync(`events/packets/${file}`, 'utf8')) as Record<string, Record<string, unknown>>,
}));

/** The first sample that carries a layer, so every layer is checked against real client output. */
function sampleLayer(protocol: string): Record<string, unknown> {
  const sample = samples.find((s) => s.packet[protocol] !== undefined);
  if (sample === undefined) throw new Error(`no sample in events/packets has a ${protocol} layer`);
  return sample.packet[protocol] as Record<string, unknown>;
}

function requiredFields(protocol: (typeof PROTOCOLS)[number]): string[] {
  const shape = (layerSchemas[protocol] as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape;
  return Object.keys(shape).filter((field) => !shape[field]?.safeParse(undefined).success);
}

function rejection(body: unknown): HttpError {
  try {
    parsePackets(body);
  } catch (error) {
    if (error instanceof HttpError) return error;
    throw error;
  }
  throw new Error('expected the packets to be rejected');
}

describe('packet layer schemas', () => {
  it.each(samples)('accepts the sample $file', ({ packet }) => {
    expect(parsePackets(packet)).toHaveLength(1);
  });

  describe.each(PROTOCOLS)('%s', (protocol) => {
    const layer = sampleLayer(protocol);

    it('accepts the sample layer', () => {
      expect(layerSchemas[protocol].safeParse(layer).success).toBe(true);
    });

    it.each(requiredFields(protocol))('rejects the layer without %s, naming the field', (field) => {
      const { [field]: _removed, ...rest } = layer;
      const error = rejection([{ AF_Packet: sampleLayer('AF_Packet') }, { [protocol]: rest }]);
      expect(error.status).toBe(400);
      expect(error.details).toContainEqual(expect.objectContaining({ record: 1, field: `${protocol}.${field}` }));
    });

    it('rejects a layer that is not an object', () => {
      const error = rejection({ [protocol]: 'not an object' });
      expect(error.details[0]).toMatchObject({ record: 0, field: protocol });
    });
  });

  it('rejects a field of the wrong type, naming record and field', () => {
    const tcp = { ...sampleLayer('TCP'), Source_Port: '443' };
    const error = rejection([samples[0]?.packet, { TCP: tcp }]);
    expect(error.details).toContainEqual(expect.objectContaining({ record: 1, field: 'TCP.Source_Port' }));
    expect(error.message).toContain('record 1 field TCP.Source_Port');
  });

  it('rejects an unknown layer name', () => {
    const error = rejection({ IPv5: {}, AF_Packet: sampleLayer('AF_Packet') });
    expect(error.status).toBe(400);
    expect(error.details[0]).toMatchObject({ record: 0, field: 'IPv5' });
    expect(error.details[0]?.message).toContain('unknown layer');
  });

  it('rejects a packet of unknown layers alone with that, not also for having no layer', () => {
    const error = rejection({ Bogus: {} });
    expect(error.details).toEqual([expect.objectContaining({ record: 0, field: 'Bogus', message: expect.stringContaining('unknown layer Bogus; known layers are') })]);
  });

  it('rejects a packet with no layer, an empty array, and too many packets', () => {
    expect(rejection({ Info: { Size: 1 } }).message).toContain('at least one layer');
    expect(rejection([]).status).toBe(400);
    expect(rejection(Array.from({ length: 1001 }, () => samples[0]?.packet)).message).toContain('limit is 1000');
  });

  it('rejects values that are not packet objects', () => {
    for (const body of [null, 42, 'packet', [[]]]) expect(rejection(body).status).toBe(400);
  });

  it('keeps fields a newer client adds inside a layer', () => {
    const [packet] = parsePackets({ UDP: { ...sampleLayer('UDP'), Flow_Hash: 7 } });
    expect(packet?.UDP).toMatchObject({ Flow_Hash: 7 });
  });
});
