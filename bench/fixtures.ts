import { readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { SQSEvent } from 'aws-lambda';
import type { Packet } from '../functions/packets/packet-schema.ts';
import type { FlowRecord } from '../functions/flows/flow-schema.ts';

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
