import * as z from 'zod';
import { util } from 'zod/v4/core';
import { badRequest, type ErrorDetail } from '../shared/errors.ts';
import { settleRecords, type Handling, type Settled } from '../shared/lenient.ts';
import { infoSchema, layerSchemas } from './layer-schemas.ts';
import { packetProblem } from './packet-check.ts';
import { PROTOCOLS, type Protocol } from './protocols.ts';

export const MAX_PACKETS_PER_REQUEST = 1000;

/** A packet: an object keyed by layer name, plus optional Info; at least one layer. */
export const packetSchema = z
  .strictObject({ Info: infoSchema.optional(), ...layerSchemas })
  .partial()
  .refine((packet) => PROTOCOLS.some((p) => packet[p] !== undefined), {
    message: 'a packet needs at least one layer',
    // zod's default (not on a value whose checks stopped, as one that is no object), and not on
    // a packet naming unknown layers, which is told so with the known ones, not this too.
    when: (payload) => !util.aborted(payload) && !payload.issues.some((issue) => issue.code === 'unrecognized_keys' && (issue.path ?? []).length === 0),
  });

export type Packet = { Info?: z.infer<typeof infoSchema> } & Partial<Record<Protocol, Record<string, unknown>>>;

/** One packet or an array of them → the packets, or a 400 naming each bad record and field. */
export function parsePackets(body: unknown): Packet[] {
  return parsePacketRequest(body, 'strict').records;
}

/**
 * A POST /packets body under the request's handling: strict is all-or-nothing (a 400 naming
 * each bad record and field), lenient keeps the valid packets and lists the others. A body
 * that is no packet list at all (empty, too long) is a 400 either way.
 */
export function parsePacketRequest(body: unknown, handling: Handling): Settled<Packet> {
  const packets = Array.isArray(body) ? body : [body];
  if (packets.length === 0) throw badRequest('request body is an empty array; send one packet or an array of packets');
  if (packets.length > MAX_PACKETS_PER_REQUEST) {
    throw badRequest(`request has ${packets.length} packets; the limit is ${MAX_PACKETS_PER_REQUEST} per request`);
  }
  // The validator compiled from this schema accepts exactly what it does
  // (test/unit/precompiled-validators.test.ts), faster; zod names what is wrong with the rest.
  return settleRecords<Packet>(packets, { accepts: (packet) => packetProblem(packet) === undefined, schema: packetSchema, describe: describeIssue }, handling);
}

function describeIssue(record: number, issue: z.core.$ZodIssue): ErrorDetail {
  if (issue.code === 'unrecognized_keys') {
    const path = issue.path.join('.');
    const keys = issue.keys.join(', ');
    return path === ''
      ? { record, field: issue.keys[0], message: `unknown layer ${keys}; known layers are ${PROTOCOLS.join(', ')}` }
      : { record, field: `${path}.${issue.keys[0]}`, message: `unknown field ${keys}` };
  }
  if (issue.code === 'invalid_type' && issue.path.length === 0) {
    return { record, message: 'a packet must be a JSON object keyed by layer name' };
  }
  const field = issue.path.join('.');
  return { record, field: field === '' ? undefined : field, message: issue.message };
}
