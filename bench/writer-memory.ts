// Run in its own process by the benchmark: the packets writer on its largest batch (as many
// 256 KiB messages as fit Lambda's 6 MB event), printing the process's peak RSS in MB.
// Argument 3, when given, is the writer's deployment bundle, measured instead of the source.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsEvent } from './fixtures.ts';

const bodies = JSON.parse(readFileSync(process.argv[2] as string, 'utf8')) as string[];
const bundled = process.argv[3];
const { handler } = (bundled ? createRequire(import.meta.url)(bundled) : await import('../functions/packets/writer.ts')) as {
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
};
const baselineMb = process.resourceUsage().maxRSS / 1024;
const result = await handler(sqsEvent(bodies));
console.log(JSON.stringify({ messages: bodies.length, failures: result.batchItemFailures.length, baselineMb, peakMb: process.resourceUsage().maxRSS / 1024 }));
// Keep-alive sockets would hold the process open.
process.exit(0);
