// The child process of section 7, bundled to plain JavaScript so that Node runs it without
// the type-stripping loader (about 16 MB of RSS that a Lambda runtime does not carry): the
// packets writer's deployment bundle on one batch, printing the process's peak RSS in MB.
// Arguments: the batch's bodies (a JSON file) and the writer's bundle.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { sqsEvent, sqsRecord } from '../test/helpers/sqs-events.ts';

const [batchFile, bundleFile] = process.argv.slice(2) as [string, string];

/**
 * This process's own peak RSS in MB: VmHWM, the high-water mark of its memory since exec.
 * Not resourceUsage().maxRSS, which Linux carries over from the parent's image at fork.
 */
function peakRssMb(): number {
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (hwm === null) throw new Error('no VmHWM in /proc/self/status');
  return Number(hwm[1]) / 1024;
}

// Parsed before the handler is loaded, as Lambda's runtime parses the event it hands over.
const event = sqsEvent((JSON.parse(readFileSync(batchFile, 'utf8')) as string[]).map((body) => sqsRecord(body)));
const { handler } = createRequire(import.meta.url)(bundleFile) as { handler: (event: SQSEvent) => Promise<SQSBatchResponse> };
const baselineMb = peakRssMb();
const started = performance.now();
const result = await handler(event);
console.log(
  JSON.stringify({
    messages: event.Records.length,
    failures: result.batchItemFailures.length,
    baselineMb,
    peakMb: peakRssMb(),
    ms: performance.now() - started,
  }),
);
// Keep-alive sockets would hold the process open.
process.exit(0);
