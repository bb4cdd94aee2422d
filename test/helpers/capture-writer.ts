// Capture files for tests and the benchmark: pcap and pcapng writers (either byte order,
// micro- or nanosecond timestamps, several interfaces and link types), and a catalogue of
// real frames, each with the layers it holds. The frames are either bytes captured on this
// project's loopback interface (kernel-made TCP handshakes, ICMP replies and errors) or
// built field by field from the protocols' wire formats with correct checksums.
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Protocol } from '../../functions/packets/protocols.ts';

// ---- bytes ----

export const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s:]/g, ''), 'hex');
const u16 = (n: number) => Buffer.from([(n >> 8) & 0xff, n & 0xff]);
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const ip4 = (a: string) => Buffer.from(a.split('.').map(Number));
const mac = (m: string) => hex(m);

/** The Internet checksum (RFC 1071). */
export function checksum(...parts: Uint8Array[]): number {
  const data = Buffer.concat(parts);
  let sum = 0;
  for (let i = 0; i < data.length; i += 2) sum += ((data[i] as number) << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

// ---- layer builders (wire formats, checksums computed) ----

export function ethernet(destination: string, source: string, type: number, payload: Uint8Array, padTo = 60): Buffer {
  const frame = Buffer.concat([mac(destination), mac(source), u16(type), payload]);
  return frame.length < padTo ? Buffer.concat([frame, Buffer.alloc(padTo - frame.length)]) : frame;
}

export function vlan(id: number, type: number, payload: Uint8Array): Buffer {
  return Buffer.concat([u16(id & 0x0fff), u16(type), payload]);
}

export interface Ipv4Options {
  source: string;
  destination: string;
  protocol: number;
  ttl?: number;
  id?: number;
  flags?: number;
  fragmentOffset?: number;
  tos?: number;
  options?: Uint8Array;
  /** Override the total length (for a header that claims more than was captured). */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options, payload: Uint8Array): Buffer {
  const options = o.options ?? Buffer.alloc(0);
  const ihl = 5 + options.length / 4;
  const header = Buffer.concat([
    Buffer.from([0x40 | ihl, o.tos ?? 0]),
    u16(o.totalLength ?? ihl * 4 + payload.length),
    u16(o.id ?? 0),
    u16(((o.flags ?? 2) << 13) | (o.fragmentOffset ?? 0)),
    Buffer.from([o.ttl ?? 64, o.protocol]),
    u16(0),
    ip4(o.source),
    ip4(o.destination),
    options,
  ]);
  header.writeUInt16BE(checksum(header), 10);
  return Buffer.concat([header, payload]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const part = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = part(head);
  const t = part(tail);
  const groups = address.includes('::') ? [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  return Buffer.concat(groups.map(u16));
}

export function ipv6(o: { source: string; destination: string; nextHeader: number; hopLimit?: number; trafficClass?: number; flowLabel?: number }, payload: Uint8Array): Buffer {
  const first = (6 << 28) | ((o.trafficClass ?? 0) << 20) | (o.flowLabel ?? 0);
  return Buffer.concat([u32(first), u16(payload.length), Buffer.from([o.nextHeader, o.hopLimit ?? 64]), ipv6Bytes(o.source), ipv6Bytes(o.destination), payload]);
}

/** A checksum over an IPv4 or IPv6 pseudo-header and the segment. */
function pseudoChecksum(source: string, destination: string, protocol: number, segment: Buffer): number {
  const v6 = source.includes(':');
  const pseudo = v6
    ? Buffer.concat([ipv6Bytes(source), ipv6Bytes(destination), u32(segment.length), u32(protocol)])
    : Buffer.concat([ip4(source), ip4(destination), Buffer.from([0, protocol]), u16(segment.length)]);
  return checksum(pseudo, segment);
}

export function udp(source: string, destination: string, sourcePort: number, destinationPort: number, payload: Uint8Array): Buffer {
  const segment = Buffer.concat([u16(sourcePort), u16(destinationPort), u16(8 + payload.length), u16(0), payload]);
  segment.writeUInt16BE(pseudoChecksum(source, destination, 17, segment) || 0xffff, 6);
  return segment;
}

export function tcp(
  source: string,
  destination: string,
  o: { sourcePort: number; destinationPort: number; seq: number; ack: number; flags: number; window: number; options?: Uint8Array },
  payload: Uint8Array = Buffer.alloc(0),
): Buffer {
  const options = o.options ?? Buffer.alloc(0);
  const offset = 5 + options.length / 4;
  const segment = Buffer.concat([u16(o.sourcePort), u16(o.destinationPort), u32(o.seq), u32(o.ack), Buffer.from([offset << 4, o.flags]), u16(o.window), u16(0), u16(0), options, payload]);
  segment.writeUInt16BE(pseudoChecksum(source, destination, 6, segment), 16);
  return segment;
}

export function icmp(type: number, code: number, rest: Uint8Array, body: Uint8Array = Buffer.alloc(0)): Buffer {
  const message = Buffer.concat([Buffer.from([type, code]), u16(0), rest, body]);
  message.writeUInt16BE(checksum(message), 2);
  return message;
}

export function icmpv6(source: string, destination: string, type: number, code: number, body: Uint8Array): Buffer {
  const message = Buffer.concat([Buffer.from([type, code]), u16(0), body]);
  message.writeUInt16BE(pseudoChecksum(source, destination, 58, message), 2);
  return message;
}

export function igmp(type: number, maxResponse: number, group: string, rest: Uint8Array = Buffer.alloc(0)): Buffer {
  const message = Buffer.concat([Buffer.from([type, maxResponse]), u16(0), ip4(group), rest]);
  message.writeUInt16BE(checksum(message), 2);
  return message;
}

export function arp(operation: number, senderMac: string, senderIp: string, targetMac: string, targetIp: string): Buffer {
  return Buffer.concat([u16(1), u16(0x0800), Buffer.from([6, 4]), u16(operation), mac(senderMac), ip4(senderIp), mac(targetMac), ip4(targetIp)]);
}

/** An 802.3 frame: the length field, then the LLC PDU (padded to the 60-byte minimum). */
export function ieee8023(destination: string, source: string, llcPdu: Uint8Array): Buffer {
  return ethernet(destination, source, llcPdu.length, llcPdu);
}

export function lldpTlv(type: number, value: Uint8Array): Buffer {
  return Buffer.concat([u16((type << 9) | value.length), value]);
}

export function cdp(tlvs: [number, string][]): Buffer {
  const body = Buffer.concat(tlvs.map(([type, value]) => Buffer.concat([u16(type), u16(4 + Buffer.byteLength(value)), Buffer.from(value)])));
  const pdu = Buffer.concat([Buffer.from([2, 180]), u16(0), body]);
  pdu.writeUInt16BE(checksum(pdu), 2);
  return pdu;
}

// ---- the catalogue ----

export interface CatalogueFrame {
  name: string;
  /** An Ethernet frame (LINKTYPE_ETHERNET). */
  bytes: Buffer;
  /** The layers a packet made from it holds, AF_Packet included. */
  layers: Protocol[];
}

const HOST = '00:15:5d:3c:5f:b2';
const GATEWAY = '00:15:5d:44:43:68';
const LO = '00:00:00:00:00:00';

/** Captured on loopback with AF_PACKET while this suite was written: the kernel's own bytes. */
const LOOPBACK_CAPTURED = {
  tcpSyn: '00000000000000000000000008004500003c22ee4000400619cc7f0000017f000001e634b79903616f0000000000a002ffd7fe3000000204ffd70402080abfa2c426000000000103030a',
  tcpSynAck: '00000000000000000000000008004500003c0000400040063cba7f0000017f000001b799e6347a5b477903616f01a012ffcbfe3000000204ffd70402080adefb8f7abfa2c4260103030a',
  tcpHttpGet: '00000000000000000000000008004500004f22f04000400619b77f0000017f000001e634b79903616f017a5b477a80180040fe4300000101080abfa2c426defb8f7a474554202f20485454502f312e310d0a486f73743a20780d0a0d0a',
  tcpFin: '00000000000000000000000008004500003422f24000400619d07f0000017f000001e634b79903616f1c7a5b479580110040fe2800000101080abfa2c426defb8f7a',
  tcp6Syn: '00000000000000000000000086dd600625c6002806400000000000000000000000000000000100000000000000000000000000000001e97ab79ad1c54f7100000000a002ffc4003000000204ffc40402080ab194d33a000000000103030a',
  tcp6Data: '00000000000000000000000086dd600625c6002a06400000000000000000000000000000000100000000000000000000000000000001e97ab79ad1c54f726fe77add80180040003200000101080ab194d33aee029afb70696e67362d64617461',
  udpDns: '00000000000000000000000008004500003915a14000401127117f0000017f000001bd52b7cd0025fe38123401000001000000000000076578616d706c6503636f6d0000010001',
  icmpPortUnreachable:
    '000000000000000000000000080045c000556cb6000040010f307f0000017f0000010303a7dc000000004500003915a14000401127117f0000017f000001bd52b7cd0025fe38123401000001000000000000076578616d706c6503636f6d0000010001',
  icmpEchoRequest: '00000000000000000000000008004500002c6cb740004001d0177f0000017f00000108008fea4e4900016e6574696e676573742d6563686f2121',
  icmpEchoReply: '00000000000000000000000008004500002c6cb80000400110177f0000017f000001000097ea4e4900016e6574696e676573742d6563686f2121',
  udp6: '00000000000000000000000086dd600e3b74000c114000000000000000000000000000000001000000000000000000000000000000018459b7ce000c001f75647036',
  icmpv6PortUnreachable:
    '00000000000000000000000086dd60016c96003c3a40000000000000000000000000000000010000000000000000000000000000000101042fc500000000600e3b74000c114000000000000000000000000000000001000000000000000000000000000000018459b7ce000c001f75647036',
  icmpv6EchoRequest: '00000000000000000000000086dd600b1f8600183a400000000000000000000000000000000100000000000000000000000000000001800017964e4900016e6574696e676573742d6563686f2121',
  icmpv6EchoReply: '00000000000000000000000086dd6001313f00183a400000000000000000000000000000000100000000000000000000000000000001810016964e4900016e6574696e676573742d6563686f2121',
} as const;

const tcpLayers: Protocol[] = ['Packet_802_3', 'IPv4', 'TCP', 'AF_Packet'];
const tcp6Layers: Protocol[] = ['Packet_802_3', 'IPv6', 'TCP', 'AF_Packet'];

const routerAlert = hex('94040000');
const stpBpdu = hex('0000 00 00 00 8000001c0e878500 00000000 8000001c0e878500 8004 0000 1400 0200 0f00');
const lldpPdu = Buffer.concat([
  lldpTlv(1, Buffer.concat([Buffer.from([4]), mac(GATEWAY)])), // chassis id: a MAC address
  lldpTlv(2, Buffer.concat([Buffer.from([5]), Buffer.from('Gi0/1')])), // port id: an interface name
  lldpTlv(3, u16(120)), // time to live
  lldpTlv(5, Buffer.from('switch-1')), // system name
  lldpTlv(0, Buffer.alloc(0)), // end of LLDPDU
]);
const nsTarget = 'fe80::215:5dff:fe44:4368';
const nsSource = 'fe80::215:5dff:fe3c:5fb2';
const mldReportTo = 'ff02::16';
const mldRecord = Buffer.concat([Buffer.from([4, 0]), u16(0), ipv6Bytes('ff02::fb')]); // change to exclude mode, no sources
const hopByHop = hex('3a00 0502 0000 0100'); // next: ICMPv6, router alert, padding

export const CATALOGUE: CatalogueFrame[] = [
  ...Object.entries(LOOPBACK_CAPTURED).map(([name, h]): CatalogueFrame => {
    const v6 = name.includes('6');
    const transport: Protocol = name.startsWith('tcp') ? 'TCP' : name.startsWith('udp') ? 'UDP' : v6 ? 'ICMPv6' : 'ICMP';
    return { name: `loopback ${name}`, bytes: hex(h), layers: ['Packet_802_3', v6 ? 'IPv6' : 'IPv4', transport, 'AF_Packet'] };
  }),
  {
    name: 'ARP request',
    bytes: ethernet('ff:ff:ff:ff:ff:ff', HOST, 0x0806, arp(1, HOST, '172.27.118.244', '00:00:00:00:00:00', '172.27.112.1')),
    layers: ['Packet_802_3', 'ARP', 'AF_Packet'],
  },
  {
    name: 'ARP reply',
    bytes: ethernet(HOST, GATEWAY, 0x0806, arp(2, GATEWAY, '172.27.112.1', HOST, '172.27.118.244')),
    layers: ['Packet_802_3', 'ARP', 'AF_Packet'],
  },
  {
    name: 'TCP ACK padded to 60 bytes',
    bytes: ethernet(GATEWAY, HOST, 0x0800, ipv4({ source: '172.27.118.244', destination: '172.27.112.1', protocol: 6, id: 10799, ttl: 128 }, tcp('172.27.118.244', '172.27.112.1', { sourcePort: 51234, destinationPort: 443, seq: 1280964045, ack: 2837104614, flags: 0x10, window: 8211 }))),
    layers: tcpLayers,
  },
  {
    name: 'DNS answer in a VLAN',
    bytes: ethernet(HOST, GATEWAY, 0x8100, vlan(100, 0x0800, ipv4({ source: '172.27.112.1', destination: '172.27.118.244', protocol: 17, id: 4242 }, udp('172.27.112.1', '172.27.118.244', 53, 50312, hex('123481800001000100000000076578616d706c6503636f6d0000010001c00c000100010000012c00045db8d822'))))),
    layers: ['Packet_802_3', 'IPv4', 'UDP', 'AF_Packet'],
  },
  {
    name: 'IGMPv2 report with router alert',
    bytes: ethernet('01:00:5e:00:00:fb', HOST, 0x0800, ipv4({ source: '172.27.118.244', destination: '224.0.0.251', protocol: 2, ttl: 1, tos: 0xc0, options: routerAlert }, igmp(0x16, 0, '224.0.0.251'))),
    layers: ['Packet_802_3', 'IPv4', 'IGMP', 'AF_Packet'],
  },
  {
    name: 'IGMPv3 report',
    bytes: ethernet('01:00:5e:00:00:16', HOST, 0x0800, ipv4({ source: '172.27.118.244', destination: '224.0.0.22', protocol: 2, ttl: 1, tos: 0xc0, options: routerAlert }, igmp(0x22, 0, '0.0.0.1', hex('04000000e00000fb')))),
    layers: ['Packet_802_3', 'IPv4', 'IGMP', 'AF_Packet'],
  },
  {
    name: 'ICMPv6 neighbor solicitation',
    bytes: ethernet('33:33:ff:44:43:68', HOST, 0x86dd, ipv6({ source: nsSource, destination: 'ff02::1:ff44:4368', nextHeader: 58, hopLimit: 255 }, icmpv6(nsSource, 'ff02::1:ff44:4368', 135, 0, Buffer.concat([u32(0), ipv6Bytes(nsTarget), hex('0101'), mac(HOST)])))),
    layers: ['Packet_802_3', 'IPv6', 'ICMPv6', 'AF_Packet'],
  },
  {
    name: 'MLDv2 report after a hop-by-hop header',
    bytes: ethernet('33:33:00:00:00:16', HOST, 0x86dd, ipv6({ source: nsSource, destination: mldReportTo, nextHeader: 0, hopLimit: 1 }, Buffer.concat([hopByHop, icmpv6(nsSource, mldReportTo, 143, 0, Buffer.concat([u16(0), u16(1), mldRecord]))]))),
    layers: ['Packet_802_3', 'IPv6', 'ICMPv6', 'AF_Packet'],
  },
  {
    name: 'LLDP',
    bytes: ethernet('01:80:c2:00:00:0e', GATEWAY, 0x88cc, lldpPdu),
    layers: ['Packet_802_3', 'LLDP', 'AF_Packet'],
  },
  {
    name: 'STP configuration BPDU',
    bytes: ieee8023('01:80:c2:00:00:00', '00:1c:0e:87:85:04', Buffer.concat([hex('424203'), stpBpdu])),
    layers: ['Packet_802_2', 'LSAP_One', 'AF_Packet'],
  },
  {
    name: 'NetBIOS over LLC',
    bytes: ieee8023('03:00:00:00:00:01', HOST, Buffer.concat([hex('f0f003'), hex('2c00ffef0800000000000000000000000000')])),
    layers: ['Packet_802_2', 'LSAP_One', 'AF_Packet'],
  },
  {
    name: 'CDP over SNAP',
    bytes: ieee8023('01:00:0c:cc:cc:cc', '00:1c:0e:87:85:04', Buffer.concat([hex('aaaa03 00000c 2000'), cdp([[1, 'switch-1'], [3, 'GigabitEthernet0/1'], [6, 'cisco WS-C2960-24TT-L']])])),
    layers: ['Packet_802_2', 'SNAP_Ext', 'CDP', 'AF_Packet'],
  },
  {
    name: 'EAPOL start (an EtherType not decoded)',
    bytes: ethernet('01:80:c2:00:00:03', HOST, 0x888e, hex('01010000')),
    layers: ['Packet_802_3', 'Unknown', 'AF_Packet'],
  },
  {
    name: 'GRE (an IP protocol not decoded)',
    bytes: ethernet(GATEWAY, HOST, 0x0800, ipv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 47 }, hex('00000800'))),
    layers: ['Packet_802_3', 'IPv4', 'Unknown', 'AF_Packet'],
  },
  {
    name: 'a later IPv4 fragment',
    bytes: ethernet(GATEWAY, HOST, 0x0800, ipv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, id: 7, flags: 0, fragmentOffset: 185 }, Buffer.alloc(32, 0x61))),
    layers: ['Packet_802_3', 'IPv4', 'Unknown', 'AF_Packet'],
  },
];

export const catalogueFrame = (name: string): CatalogueFrame => {
  const frame = CATALOGUE.find((f) => f.name === name);
  if (frame === undefined) throw new Error(`no catalogue frame named ${name}`);
  return frame;
};

// ---- other link types, from an Ethernet frame ----

export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LOOP: 108, LINUX_SLL: 113, IEEE802_11: 105, LINUX_SLL2: 276 } as const;

/** The frame's payload behind a Linux cooked (v1) header. */
export function sll(frame: Uint8Array, packetType = 0, hatype = 1): Buffer {
  const f = Buffer.from(frame);
  const address = Buffer.concat([f.subarray(6, 12), Buffer.alloc(2)]);
  const type = f.readUInt16BE(12);
  const protocol = type <= 1500 ? 0x0004 : type;
  const payload = type <= 1500 ? f.subarray(14, 14 + type) : f.subarray(14);
  return Buffer.concat([u16(packetType), u16(hatype), u16(6), address, u16(protocol), payload]);
}

/** The frame's payload behind a Linux cooked v2 header. */
export function sll2(frame: Uint8Array, interfaceIndex = 2, packetType = 0, hatype = 1): Buffer {
  const f = Buffer.from(frame);
  const type = f.readUInt16BE(12);
  const protocol = type <= 1500 ? 0x0004 : type;
  const payload = type <= 1500 ? f.subarray(14, 14 + type) : f.subarray(14);
  return Buffer.concat([u16(protocol), u16(0), u32(interfaceIndex), u16(hatype), Buffer.from([packetType, 6]), f.subarray(6, 12), Buffer.alloc(2), payload]);
}

/** The IP packet of an Ethernet frame, without link header, VLAN tags or padding. */
export function rawIp(frame: Uint8Array): Buffer {
  const f = Buffer.from(frame);
  let at = 12;
  while ([0x8100, 0x88a8].includes(f.readUInt16BE(at))) at += 4;
  const ip = f.subarray(at + 2);
  const length = (ip[0] as number) >> 4 === 4 ? ip.readUInt16BE(2) : 40 + ip.readUInt16BE(4);
  return ip.subarray(0, length);
}

/** The IP packet behind a BSD loopback header (family in little-endian host order, or network order for LOOP). */
export function nullLoopback(frame: Uint8Array, networkOrder = false, inet6 = 30): Buffer {
  const ip = rawIp(frame);
  const family = (ip[0] as number) >> 4 === 4 ? 2 : inet6;
  const header = Buffer.alloc(4);
  if (networkOrder) header.writeUInt32BE(family);
  else header.writeUInt32LE(family);
  return Buffer.concat([header, ip]);
}

// ---- files ----

export interface CaptureRecord {
  /** Seconds since 1970. */
  time: number;
  data: Uint8Array;
  /** Length on the wire, when the capture kept less (defaults to data's length). */
  originalLength?: number;
  /** pcapng: the interface, by index in its section. */
  interfaceId?: number;
  /** pcapng: epb_flags. */
  flags?: number;
  /** pcapng: write a Simple Packet Block (no time, interface 0) instead of an Enhanced one. */
  simple?: boolean;
}

export interface PcapOptions {
  linkType: number;
  nanoseconds?: boolean;
  bigEndian?: boolean;
  snapLength?: number;
}

const writer = (bigEndian: boolean) => ({
  u16(n: number) {
    const b = Buffer.alloc(2);
    if (bigEndian) b.writeUInt16BE(n);
    else b.writeUInt16LE(n);
    return b;
  },
  u32(n: number) {
    const b = Buffer.alloc(4);
    if (bigEndian) b.writeUInt32BE(n >>> 0);
    else b.writeUInt32LE(n >>> 0);
    return b;
  },
  i64(n: bigint) {
    const b = Buffer.alloc(8);
    if (bigEndian) b.writeBigInt64BE(n);
    else b.writeBigInt64LE(n);
    return b;
  },
});

export function pcapHeader(o: PcapOptions): Buffer {
  const w = writer(o.bigEndian ?? false);
  return Buffer.concat([w.u32(o.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4), w.u16(2), w.u16(4), w.u32(0), w.u32(0), w.u32(o.snapLength ?? 262144), w.u32(o.linkType)]);
}

export function pcapRecord(o: PcapOptions, r: CaptureRecord): Buffer {
  const w = writer(o.bigEndian ?? false);
  const seconds = Math.floor(r.time);
  const fraction = Math.round((r.time - seconds) * (o.nanoseconds ? 1e9 : 1e6));
  return Buffer.concat([w.u32(seconds), w.u32(fraction), w.u32(r.data.length), w.u32(r.originalLength ?? r.data.length), r.data]);
}

export function pcap(o: PcapOptions, records: Iterable<CaptureRecord>): Buffer {
  return Buffer.concat([pcapHeader(o), ...[...records].map((r) => pcapRecord(o, r))]);
}

export interface PcapngInterface {
  linkType: number;
  name?: string;
  /** if_tsresol: 6 (microseconds, the default), 9 (nanoseconds), or 0x80 | n for 2^-n. */
  tsresol?: number;
  snapLength?: number;
}

export interface PcapngSection {
  bigEndian?: boolean;
  interfaces: PcapngInterface[];
  records: Iterable<CaptureRecord>;
}

const pad4 = (b: Uint8Array) => Buffer.concat([b, Buffer.alloc((4 - (b.length % 4)) % 4)]);

function option(w: ReturnType<typeof writer>, code: number, value: Uint8Array): Buffer {
  return Buffer.concat([w.u16(code), w.u16(value.length), pad4(value)]);
}

function block(w: ReturnType<typeof writer>, type: number, body: Uint8Array): Buffer {
  const total = 12 + body.length;
  return Buffer.concat([w.u32(type), w.u32(total), body, w.u32(total)]);
}

export function pcapngSectionHeader(section: Pick<PcapngSection, 'bigEndian' | 'interfaces'>): Buffer {
  const w = writer(section.bigEndian ?? false);
  const shb = block(w, 0x0a0d0d0a, Buffer.concat([w.u32(0x1a2b3c4d), w.u16(1), w.u16(0), w.i64(-1n), option(w, 4, Buffer.from('netingest test helper')), w.u32(0)]));
  const idbs = section.interfaces.map((i) => {
    const options = [
      ...(i.name !== undefined ? [option(w, 2, Buffer.from(i.name))] : []),
      ...(i.tsresol !== undefined ? [option(w, 9, Buffer.from([i.tsresol]))] : []),
    ];
    return block(w, 1, Buffer.concat([w.u16(i.linkType), w.u16(0), w.u32(i.snapLength ?? 262144), ...options, ...(options.length > 0 ? [w.u32(0)] : [])]));
  });
  // A block the reader must step over: an Interface Statistics Block.
  const isb = block(w, 5, Buffer.concat([w.u32(0), w.u32(0), w.u32(0)]));
  return Buffer.concat([shb, ...idbs, isb]);
}

export function pcapngRecord(section: Pick<PcapngSection, 'bigEndian' | 'interfaces'>, r: CaptureRecord): Buffer {
  const w = writer(section.bigEndian ?? false);
  if (r.simple) return block(w, 3, Buffer.concat([w.u32(r.originalLength ?? r.data.length), pad4(r.data)]));
  const iface = section.interfaces[r.interfaceId ?? 0];
  const resolution = iface?.tsresol ?? 6;
  const perSecond = resolution & 0x80 ? 2n ** BigInt(resolution & 0x7f) : 10n ** BigInt(resolution);
  const seconds = Math.floor(r.time);
  const units = BigInt(seconds) * perSecond + BigInt(Math.round((r.time - seconds) * Number(perSecond)));
  const options = r.flags !== undefined ? Buffer.concat([option(w, 2, w.u32(r.flags)), w.u32(0)]) : Buffer.alloc(0);
  return block(
    w,
    6,
    Buffer.concat([w.u32(r.interfaceId ?? 0), w.u32(Number(units >> 32n)), w.u32(Number(units & 0xffffffffn)), w.u32(r.data.length), w.u32(r.originalLength ?? r.data.length), pad4(r.data), options]),
  );
}

export function pcapng(sections: PcapngSection[]): Buffer {
  return Buffer.concat(sections.flatMap((s) => [pcapngSectionHeader(s), ...[...s.records].map((r) => pcapngRecord(s, r))]));
}

/** Writes a capture of any size without holding it in memory: the header, then each record as it comes. */
export function writeCaptureFile(path: string, header: Buffer, records: Iterable<Buffer>): number {
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    let pending: Buffer[] = [header];
    let pendingBytes = header.length;
    const drain = () => {
      const chunk = Buffer.concat(pending);
      writeSync(fd, chunk);
      bytes += chunk.length;
      pending = [];
      pendingBytes = 0;
    };
    for (const record of records) {
      pending.push(record);
      pendingBytes += record.length;
      if (pendingBytes >= 1 << 20) drain();
    }
    drain();
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** `count` catalogue frames in turn, `spacing` seconds apart from `start`. */
export function* catalogueRecords(count: number, start = 1_700_000_000, spacing = 0.001): Generator<CaptureRecord & { frame: CatalogueFrame }> {
  for (let i = 0; i < count; i++) {
    const frame = CATALOGUE[i % CATALOGUE.length] as CatalogueFrame;
    yield { time: start + i * spacing, data: frame.bytes, frame };
  }
}
