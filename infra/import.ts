// `npm run import -- <file.pcap|file.pcapng> [--url URL] [--key KEY] [--batch N] [--rate R]
//   [--concurrency N] [--interface NAME]`: reads a tcpdump or Wireshark capture as a stream,
// decodes every frame into the network-monitor-client's packet format and posts the packets
// to /packets, with a progress line and a summary at the end.
// Exit status: 0 when every packet was accepted, 1 when some were rejected, 2 on bad usage
// or a file that is not a readable capture.
import { parseArgs } from 'node:util';
import { CaptureFormatError } from './capture/capture-reader.ts';
import { importCaptureFile, MAX_BATCH, newStats, type ImportStats } from './capture/importer.ts';

const USAGE =
  'usage: npm run import -- <file.pcap|file.pcapng> [--url URL] [--key KEY] [--batch N] [--rate R] [--concurrency N] [--interface NAME]\n' +
  `  --batch        packets per request, 1..${MAX_BATCH} (default ${MAX_BATCH})\n` +
  '  --rate         packets per second at most (default: as fast as the service takes them)\n' +
  '  --concurrency  requests in flight (default 4)\n' +
  '  --interface    Interface_Name for frames whose capture names no interface (default capture)';

function usage(message?: string): never {
  if (message) console.error(message);
  console.error(USAGE);
  process.exit(2);
}

function commandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        url: { type: 'string', default: process.env.API_URL ?? 'http://127.0.0.1:3000' },
        key: { type: 'string', default: process.env.API_KEY ?? 'local-dev-key' },
        batch: { type: 'string', default: String(MAX_BATCH) },
        rate: { type: 'string' },
        concurrency: { type: 'string', default: '4' },
        interface: { type: 'string', default: 'capture' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usage((error as Error).message);
  }
}
const { values, positionals } = commandLine();
if (values.help) usage();
if (positionals.length !== 1) usage(positionals.length === 0 ? 'name one capture file' : 'name only one capture file');
const file = positionals[0] as string;
const batchSize = Number(values.batch);
const rate = values.rate === undefined ? undefined : Number(values.rate);
const concurrency = Number(values.concurrency);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) usage(`--batch must be an integer from 1 to ${MAX_BATCH}`);
if (rate !== undefined && !(rate > 0)) usage('--rate must be a positive number of packets per second');
if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) usage('--concurrency must be an integer from 1 to 64');

const n = (x: number) => x.toLocaleString('en-US');
const stats = newStats();
const elapsedSeconds = () => (performance.now() - stats.startedAt) / 1000;
const answered = () => stats.accepted + stats.rejected;

function progressLine(): string {
  const width = 24;
  const share = stats.totalBytes ? Math.min(1, stats.bytesRead / stats.totalBytes) : 0;
  const done = Math.round(share * width);
  const rateNow = answered() / Math.max(elapsedSeconds(), 0.001);
  return (
    `[${'#'.repeat(done)}${'-'.repeat(width - done)}] ${(share * 100).toFixed(0).padStart(3)}%  ` +
    `${n(stats.framesRead)} frames  ${n(stats.packetsSent)} sent  ${n(stats.accepted)} accepted  ` +
    `${n(stats.rejected)} rejected  ${n(Math.round(rateNow))} packets/s`
  );
}

const tty = process.stderr.isTTY === true;
const ticker = setInterval(() => process.stderr.write(tty ? `\r${progressLine()}` : `${progressLine()}\n`), tty ? 250 : 5000);

function summary(s: ImportStats): string {
  const seconds = elapsedSeconds();
  const lines = [
    `${file} (${s.format ?? 'unknown format'}) -> ${values.url}`,
    `frames read        ${n(s.framesRead)}`,
    `packets sent       ${n(s.packetsSent)}`,
    `accepted           ${n(s.accepted)}`,
    `rejected           ${n(s.rejected)}`,
  ];
  const reasons = Object.entries(s.rejectedByReason).sort(([, a], [, b]) => b - a);
  for (const [reason, count] of reasons.slice(0, 20)) lines.push(`  ${n(count).padStart(8)}  ${reason}`);
  if (reasons.length > 20) lines.push(`  ... and ${reasons.length - 20} other reasons`);
  const skipped = Object.entries(s.skippedLinkTypes);
  lines.push(`link types skipped ${skipped.length === 0 ? 'none' : skipped.map(([type, count]) => `${type}: ${n(count)} frames`).join(', ')}`);
  if (s.retries > 0) lines.push(`retries            ${n(s.retries)} (429/503 or dropped connections, same Idempotency-Key)`);
  if (s.truncatedBytes !== undefined) lines.push(`warning: the capture ends inside a record (${n(s.truncatedBytes)} bytes left over); everything before it was imported`);
  lines.push(`elapsed            ${seconds.toFixed(1)} s, ${n(Math.round(answered() / Math.max(seconds, 0.001)))} packets/s`);
  return lines.join('\n');
}

let status = 0;
try {
  await importCaptureFile(file, { url: values.url as string, key: values.key as string, batchSize, rate, concurrency, interfaceName: values.interface as string }, stats);
  status = stats.rejected > 0 ? 1 : 0;
} catch (error) {
  const e = error as NodeJS.ErrnoException;
  const readable = e instanceof CaptureFormatError ? `${file} is not a readable capture: ${e.message}` : e.code ? `cannot read ${file}: ${e.message}` : `import failed: ${e.message}`;
  clearInterval(ticker);
  if (tty) process.stderr.write('\n');
  console.error(readable);
  status = e instanceof CaptureFormatError && stats.framesRead > 0 ? 1 : 2;
  if (stats.framesRead > 0) console.log(summary(stats));
  process.exit(status);
}
clearInterval(ticker);
if (tty) process.stderr.write(`\r${progressLine()}\n`);
console.log(summary(stats));
process.exitCode = status;
