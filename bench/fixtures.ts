import { createReadStream, readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import type { Packet } from '../functions/packets/packet-schema.ts';
import type { FlowRecord } from '../functions/flows/flow-schema.ts';
import { readCapture } from '../infra/capture/capture-reader.ts';
import { decodeFrame } from '../infra/capture/frame-decoder.ts';
import { catalogueRecords, pcapngRecord, pcapngSectionHeader, writeCaptureFile } from '../test/helpers/capture-writer.ts';

export const samplePackets = readdirSync('events/packets').map((f) => JSON.parse(readFileSync(`events/packets/${f}`, 'utf8')) as Packet);
export const seedNotificationJson = readFileSync('events/notifications/seed-interfaces.json', 'utf8');
export const seedNotificationXml = readFileSync('events/notifications/seed-interfaces.xml', 'utf8');

export function packets(count: number, startTime = 1_700_000_000): Packet[] {
  return Array.from({ length: count }, (_, i) => {
    const p = structuredClone(samplePackets[i % samplePackets.length]) as Packet;
    p.Info = { ...(p.Info ?? {}), Sniffed_Timestamp: startTime + i / 1000 };
    return p;
  });
}

/** `count` packets whose sniff times start at `startTime`. */
export type Workload = (count: number, startTime?: number) => Packet[];

/**
 * The "real capture" workload: the packets `npm run import` makes of a capture file, cycled.
 * The file is BENCH_CAPTURE when set, else a pcapng written from the catalogue of real frames.
 */
export async function captureWorkload(file = process.env.BENCH_CAPTURE, frames = 10_000): Promise<Workload> {
  let path = file;
  if (path === undefined) {
    path = '/tmp/netingest-bench-capture.pcapng';
    const section = { interfaces: [{ linkType: 1, name: 'eth0' }] };
    writeCaptureFile(path, pcapngSectionHeader(section), (function* () {
      for (const r of catalogueRecords(frames)) yield pcapngRecord(section, r);
    })());
  }
  const decoded: Packet[] = [];
  for await (const frame of readCapture(createReadStream(path))) {
    const result = decodeFrame(frame);
    if ('packet' in result) decoded.push(result.packet);
    if (decoded.length >= frames) break;
  }
  if (decoded.length === 0) throw new Error(`${path} holds no frame of a decoded link type`);
  return (count, startTime = 1_700_000_000) =>
    Array.from({ length: count }, (_, i) => {
      const p = structuredClone(decoded[i % decoded.length]) as Packet;
      p.Info = { ...(p.Info ?? {}), Sniffed_Timestamp: startTime + i / 1000 };
      return p;
    });
}

export function flows(count: number, hours: number, hourBase = 500_000): FlowRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    src_app: `app-${i % 97}`,
    dest_app: `svc-${i % 13}`,
    vpc_id: `vpc-${i % 3}`,
    bytes_tx: i % 1000,
    bytes_rx: (i * 7) % 1000,
    hour: hourBase + (i % hours),
  }));
}

export function sqsEvent(bodies: readonly string[]): SQSEvent {
  return {
    Records: bodies.map((body) => ({
      messageId: randomUUID(),
      receiptHandle: randomUUID(),
      body,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'bench', ApproximateFirstReceiveTimestamp: String(Date.now()) },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:bench',
      awsRegion: 'us-east-1',
    })),
  };
}
