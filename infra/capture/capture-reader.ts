// A streaming reader of pcap and pcapng files: frames come out one at a time while the
// file is read in chunks, so memory stays constant whatever the file's size.
// Our own because the only npm reader available here (pcap-parser 0.2.1) reads pcap but
// not pcapng, and the format is a few block layouts (libpcap's pcap-savefile(5) and
// draft-ietf-opsawg-pcapng).

/** One captured frame, as the file recorded it. */
export interface CaptureFrame {
  /** LINKTYPE_* value of the interface the frame was captured on. */
  linkType: number;
  /** Index of the interface in its pcapng section; 0 for pcap. */
  interfaceId: number;
  /** The interface's name (pcapng if_name), when the file says. */
  interfaceName?: string;
  /** Seconds since 1970, when the file records a time (a pcapng Simple Packet Block does not). */
  timestamp?: number;
  /** Length on the wire; `data` may be shorter when the capture was cut at a snap length. */
  originalLength: number;
  data: Uint8Array;
  /** pcapng epb_flags (direction and reception type), when present. */
  flags?: number;
  /** Bytes of frame check sequence at the end of `data`, when the file says (0 when none). */
  fcsLength?: number;
}

export type CaptureFormat = 'pcap' | 'pcap-ns' | 'pcap-modified' | 'pcapng';

export interface ReadOptions {
  /** Called once the format is known. */
  onFormat?: (format: CaptureFormat) => void;
  /** Called when the file ends inside a record (a capture cut short); reading stops there. */
  onTruncated?: (bytesLeft: number) => void;
}

export class CaptureFormatError extends Error {
  override name = 'CaptureFormatError';
}

/** Larger than any real record; a length beyond it means a corrupt file, not a big frame. */
const MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Pulls exact byte counts out of a stream of chunks, copying only across chunk boundaries. */
class ByteSource {
  private chunks: Uint8Array[] = [];
  private offset = 0; // into chunks[0]
  private buffered = 0;
  private done = false;
  private readonly iterator: AsyncIterator<Uint8Array>;
  consumed = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  get available(): number {
    return this.buffered;
  }

  /** True once n bytes are buffered; false if the stream ends first. */
  async need(n: number): Promise<boolean> {
    while (this.buffered < n && !this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        break;
      }
      if (next.value.length === 0) continue;
      this.chunks.push(next.value);
      this.buffered += next.value.length;
    }
    return this.buffered >= n;
  }

  /** n buffered bytes (call need(n) first); a view when they lie in one chunk. */
  take(n: number): Uint8Array {
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.offset >= n) {
      const view = first.subarray(this.offset, this.offset + n);
      this.advance(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.chunks[0] as Uint8Array;
      const part = Math.min(n - filled, chunk.length - this.offset);
      out.set(chunk.subarray(this.offset, this.offset + part), filled);
      filled += part;
      this.advance(part);
    }
    return out;
  }

  /** Drops n bytes without keeping them; false if the stream ends first. */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      if (this.buffered === 0 && !(await this.need(1))) return false;
      const step = Math.min(left, this.buffered, (this.chunks[0] as Uint8Array).length - this.offset);
      this.advance(step);
      left -= step;
    }
    return true;
  }

  /** Lets go of the source (a file stream closes) when reading stops early. */
  async close(): Promise<void> {
    if (!this.done) {
      this.done = true;
      await this.iterator.return?.();
    }
  }

  private advance(n: number): void {
    this.offset += n;
    this.buffered -= n;
    this.consumed += n;
    while (this.chunks.length > 0 && this.offset >= (this.chunks[0] as Uint8Array).length) {
      this.offset -= (this.chunks[0] as Uint8Array).length;
      this.chunks.shift();
    }
  }
}

const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** The frames of a pcap or pcapng capture, in file order. */
export async function* readCapture(source: AsyncIterable<Uint8Array>, options: ReadOptions = {}): AsyncGenerator<CaptureFrame> {
  const input = new ByteSource(source);
  try {
    yield* framesOf(input, options);
  } finally {
    await input.close();
  }
}

async function* framesOf(input: ByteSource, options: ReadOptions): AsyncGenerator<CaptureFrame> {
  if (!(await input.need(4))) throw new CaptureFormatError('the file is too short to be a capture');
  const magic = input.take(4);
  const m = view(magic);
  const big = m.getUint32(0, false);
  const little = m.getUint32(0, true);
  if (big === 0x0a0d0d0a) {
    options.onFormat?.('pcapng');
    yield* readPcapng(input, magic, options);
    return;
  }
  for (const [value, format] of [
    [0xa1b2c3d4, 'pcap'],
    [0xa1b23c4d, 'pcap-ns'],
    [0xa1b2cd34, 'pcap-modified'],
  ] as const) {
    if (big === value || little === value) {
      options.onFormat?.(format);
      yield* readPcap(input, format, little === value, options);
      return;
    }
  }
  throw new CaptureFormatError(`not a pcap or pcapng file (starts with 0x${big.toString(16).padStart(8, '0')})`);
}

// ---- pcap (pcap-savefile(5)) ----

async function* readPcap(input: ByteSource, format: CaptureFormat, littleEndian: boolean, options: ReadOptions): AsyncGenerator<CaptureFrame> {
  if (!(await input.need(20))) throw new CaptureFormatError('the pcap file header is cut short');
  const header = view(input.take(20));
  // version (4), thiszone (4), sigfigs (4), snaplen (4), then the link type and FCS bits.
  const linkField = header.getUint32(16, littleEndian);
  const linkType = linkField & 0xffff;
  const fcsLength = linkField & 0x04000000 ? ((linkField >>> 28) & 0xf) * 2 : undefined;
  const divisor = format === 'pcap-ns' ? 1e9 : 1e6;
  const recordHeader = format === 'pcap-modified' ? 24 : 16;
  for (;;) {
    if (!(await input.need(recordHeader))) {
      if (input.available > 0) options.onTruncated?.(input.available);
      return;
    }
    const record = view(input.take(recordHeader));
    const seconds = record.getUint32(0, littleEndian);
    const fraction = record.getUint32(4, littleEndian);
    const capturedLength = record.getUint32(8, littleEndian);
    const originalLength = record.getUint32(12, littleEndian);
    if (capturedLength > MAX_RECORD_BYTES) throw new CaptureFormatError(`a record claims ${capturedLength} bytes at offset ${input.consumed - recordHeader}: the file is corrupt`);
    if (!(await input.need(capturedLength))) {
      options.onTruncated?.(recordHeader + input.available);
      return;
    }
    yield {
      linkType,
      interfaceId: 0,
      timestamp: seconds + fraction / divisor,
      originalLength,
      data: input.take(capturedLength),
      fcsLength,
    };
  }
}

// ---- pcapng (draft-ietf-opsawg-pcapng) ----

const BLOCK = { sectionHeader: 0x0a0d0d0a, interfaceDescription: 1, packet: 2, simplePacket: 3, enhancedPacket: 6 } as const;
const OPTION = { end: 0, ifName: 2, ifTsresol: 9, ifFcslen: 13, ifTsoffset: 14, epbFlags: 2 } as const;

interface PcapngInterface {
  linkType: number;
  snapLength: number;
  name?: string;
  /** Timestamp units per second. */
  unitsPerSecond: bigint;
  offsetSeconds: number;
  fcsLength?: number;
}

type Options = Map<number, Uint8Array>;

function parseOptions(bytes: Uint8Array, littleEndian: boolean): Options {
  const options: Options = new Map();
  const v = view(bytes);
  let at = 0;
  while (at + 4 <= bytes.length) {
    const code = v.getUint16(at, littleEndian);
    const length = v.getUint16(at + 2, littleEndian);
    if (code === OPTION.end) break;
    if (at + 4 + length > bytes.length) break;
    if (!options.has(code)) options.set(code, bytes.subarray(at + 4, at + 4 + length));
    at += 4 + Math.ceil(length / 4) * 4;
  }
  return options;
}

function parseInterface(body: Uint8Array, littleEndian: boolean): PcapngInterface {
  if (body.length < 8) throw new CaptureFormatError('an Interface Description Block is cut short');
  const v = view(body);
  const options = parseOptions(body.subarray(8), littleEndian);
  const iface: PcapngInterface = { linkType: v.getUint16(0, littleEndian), snapLength: v.getUint32(4, littleEndian), unitsPerSecond: 1_000_000n, offsetSeconds: 0 };
  const name = options.get(OPTION.ifName);
  if (name !== undefined) iface.name = new TextDecoder().decode(name).replace(/\0+$/, '');
  const resolution = options.get(OPTION.ifTsresol);
  if (resolution !== undefined && resolution.length >= 1) {
    const r = resolution[0] as number;
    iface.unitsPerSecond = r & 0x80 ? 2n ** BigInt(r & 0x7f) : 10n ** BigInt(r);
  }
  const offset = options.get(OPTION.ifTsoffset);
  if (offset !== undefined && offset.length >= 8) iface.offsetSeconds = Number(view(offset).getBigInt64(0, littleEndian));
  const fcs = options.get(OPTION.ifFcslen);
  if (fcs !== undefined && fcs.length >= 1) iface.fcsLength = fcs[0] as number;
  return iface;
}

function timestampOf(iface: PcapngInterface, high: number, low: number): number {
  const units = high * 4294967296 + low;
  const perSecond = iface.unitsPerSecond;
  if (Number.isSafeInteger(units) && perSecond <= 1_000_000_000n) return units / Number(perSecond) + iface.offsetSeconds;
  const big = (BigInt(high) << 32n) | BigInt(low);
  return Number(big / perSecond) + Number(big % perSecond) / Number(perSecond) + iface.offsetSeconds;
}

async function* readPcapng(input: ByteSource, firstType: Uint8Array, options: ReadOptions): AsyncGenerator<CaptureFrame> {
  let littleEndian = true;
  let interfaces: PcapngInterface[] = [];
  let sections = 0;
  let typeBytes: Uint8Array | undefined = firstType;
  for (;;) {
    if (typeBytes === undefined) {
      if (!(await input.need(4))) {
        if (input.available > 0) options.onTruncated?.(input.available);
        return;
      }
      typeBytes = input.take(4);
    }
    const blockType = typeBytes;
    typeBytes = undefined;
    if (view(blockType).getUint32(0, false) === BLOCK.sectionHeader) {
      // The byte-order magic after the length says how this section is written.
      if (!(await input.need(8))) {
        options.onTruncated?.(4 + input.available);
        return;
      }
      const head = view(input.take(8));
      const bom = head.getUint32(4, true);
      if (bom === 0x1a2b3c4d) littleEndian = true;
      else if (bom === 0x4d3c2b1a) littleEndian = false;
      else throw new CaptureFormatError(`a Section Header Block has no byte-order magic (0x${bom.toString(16)})`);
      const total = head.getUint32(0, littleEndian);
      if (total < 28 || total % 4 !== 0 || total > MAX_RECORD_BYTES) throw new CaptureFormatError(`a Section Header Block claims ${total} bytes`);
      if (!(await input.skip(total - 12))) {
        options.onTruncated?.(12);
        return;
      }
      sections++;
      interfaces = [];
      continue;
    }
    if (sections === 0) throw new CaptureFormatError('a pcapng file must start with a Section Header Block');
    if (!(await input.need(4))) {
      options.onTruncated?.(4 + input.available);
      return;
    }
    const type = view(blockType).getUint32(0, littleEndian);
    const total = view(input.take(4)).getUint32(0, littleEndian);
    if (total < 12 || total % 4 !== 0 || total > MAX_RECORD_BYTES) throw new CaptureFormatError(`a block of type ${type} claims ${total} bytes at offset ${input.consumed - 8}`);
    const wanted = type === BLOCK.interfaceDescription || type === BLOCK.enhancedPacket || type === BLOCK.simplePacket || type === BLOCK.packet;
    if (!wanted) {
      if (!(await input.skip(total - 8))) {
        options.onTruncated?.(8);
        return;
      }
      continue;
    }
    if (!(await input.need(total - 8))) {
      options.onTruncated?.(8 + input.available);
      return;
    }
    const body = input.take(total - 8).subarray(0, total - 12); // without the trailing length
    const frame = packetOf(type, body, littleEndian, interfaces);
    if (frame !== undefined) yield frame;
  }
}

function packetOf(type: number, body: Uint8Array, littleEndian: boolean, interfaces: PcapngInterface[]): CaptureFrame | undefined {
  const v = view(body);
  if (type === BLOCK.interfaceDescription) {
    interfaces.push(parseInterface(body, littleEndian));
    return undefined;
  }
  if (type === BLOCK.simplePacket) {
    const iface = interfaces[0];
    if (iface === undefined || body.length < 4) throw new CaptureFormatError('a Simple Packet Block comes before any interface');
    const originalLength = v.getUint32(0, littleEndian);
    let captured = Math.min(originalLength, body.length - 4);
    if (iface.snapLength > 0) captured = Math.min(captured, iface.snapLength);
    return frameOf(iface, 0, undefined, originalLength, body.subarray(4, 4 + captured));
  }
  // Enhanced Packet Block, or the obsolete Packet Block with a 16-bit interface id and a drop count.
  const obsolete = type === BLOCK.packet;
  if (body.length < 20) throw new CaptureFormatError('a packet block is cut short');
  const interfaceId = obsolete ? v.getUint16(0, littleEndian) : v.getUint32(0, littleEndian);
  const iface = interfaces[interfaceId];
  if (iface === undefined) throw new CaptureFormatError(`a packet names interface ${interfaceId}, which the section does not describe`);
  const high = v.getUint32(4, littleEndian);
  const low = v.getUint32(8, littleEndian);
  const capturedLength = v.getUint32(12, littleEndian);
  const originalLength = v.getUint32(16, littleEndian);
  if (20 + capturedLength > body.length) throw new CaptureFormatError(`a packet block claims ${capturedLength} captured bytes in a ${body.length}-byte body`);
  const data = body.subarray(20, 20 + capturedLength);
  const optionBytes = body.subarray(20 + Math.ceil(capturedLength / 4) * 4);
  const flagsOption = optionBytes.length > 0 ? parseOptions(optionBytes, littleEndian).get(OPTION.epbFlags) : undefined;
  const flags = flagsOption !== undefined && flagsOption.length >= 4 ? view(flagsOption).getUint32(0, littleEndian) : undefined;
  const frame = frameOf(iface, interfaceId, timestampOf(iface, high, low), originalLength, data);
  if (flags !== undefined) frame.flags = flags;
  return frame;
}

function frameOf(iface: PcapngInterface, interfaceId: number, timestamp: number | undefined, originalLength: number, data: Uint8Array): CaptureFrame {
  const frame: CaptureFrame = { linkType: iface.linkType, interfaceId, originalLength, data };
  if (timestamp !== undefined) frame.timestamp = timestamp;
  if (iface.name !== undefined) frame.interfaceName = iface.name;
  if (iface.fcsLength !== undefined) frame.fcsLength = iface.fcsLength;
  return frame;
}
