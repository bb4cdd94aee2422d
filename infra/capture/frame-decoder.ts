// Captured frames → packets in the network-monitor-client's layer format: an object keyed by
// layer name with the client's field names and value types, plus Info. Pure: no I/O, no clock.
//
// Table-driven: a link-type table turns the capture's link header into AF_Packet (what the
// client's raw socket reported) and the first layer; from there each layer names the table
// (EtherType, IP protocol, LLC SAP, SNAP) and identifier of the next, until a layer has none.
// An identifier no table knows ends the chain with an Unknown layer, as the client's parser did.
//
// Where the client's own decoding was wrong, the decoder keeps the client's field names and
// types but the protocol's values: IPv4 Flags are the 3 flag bits and options start at 20
// bytes (the client shifted a precedence-bound mask and used 5 x IHL), IPv6 Flow_Label and
// traffic class are read big-endian, extension headers by their real lengths, and
// Payload_Size is what the IP length says rather than what the capture padded.
import type { Packet } from '../../functions/packets/packet-schema.ts';
import type { Protocol } from '../../functions/packets/protocols.ts';
import type { CaptureFrame } from './capture-reader.ts';

type Fields = Record<string, unknown>;

/** A layer's bytes as captured, and its length as the layer below declared it (longer when the capture cut the frame). */
interface Payload {
  bytes: Uint8Array;
  length: number;
}

type TableName = 'ethertype' | 'ip' | 'llc' | 'lsap' | 'snap';

/** What comes after a layer: another table lookup, an Unknown layer, or nothing. */
type Next = { table: TableName; id: number; payload: Payload } | { unknown: string; id: number } | undefined;

interface LayerDecoder {
  layer: Protocol;
  /** Fewer captured bytes than this: the layer is reported Unknown as truncated. */
  minLength: number;
  decode(payload: Payload, id: number): { fields: Fields; next?: Next };
}

interface Table {
  lookup(id: number): LayerDecoder | undefined;
  /** The Unknown layer's message for an identifier this table does not decode. */
  unknown: string;
  /** The identifier the Unknown layer reports (SNAP reports its protocol id). */
  identifier?: (id: number) => number;
}

// ---- formatting, as the client formatted ----

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** The client's MAC format: upper-case hex pairs joined by colons. */
export function macAddress(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += (i === 0 ? '' : ':') + hex2(bytes[i] as number).toUpperCase();
  return out;
}

export function ipv4Address(bytes: Uint8Array): string {
  return `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
}

/** RFC 5952 text: lower case, leading zeros dropped, the longest run of two or more zero groups as `::`. */
export function ipv6Address(bytes: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] as number) << 8) | (bytes[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const text = (from: number, to: number) => groups.slice(from, to).map((g) => g.toString(16)).join(':');
  return bestStart < 0 ? text(0, 8) : `${text(0, bestStart)}::${text(bestStart + bestLength, 8)}`;
}

const base64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
const dataView = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const utf8 = new TextDecoder();
/** Text from a protocol's string field: decoded leniently, without trailing NULs, at most `max` characters, always well-formed (a table refuses lone surrogates). */
const text = (bytes: Uint8Array, max = 256) => utf8.decode(bytes).replace(/\0+$/, '').slice(0, max).toWellFormed();

/** The bytes after `offset` of a payload, keeping its declared length in step. */
function rest(payload: Payload, offset: number, declared = payload.length - offset): Payload {
  const length = Math.max(0, declared);
  return { bytes: payload.bytes.subarray(Math.min(offset, payload.bytes.length), Math.min(payload.bytes.length, offset + length)), length };
}

// ---- layers ----

/** The client reported only the first option, as {Copied, Option Class, Option Number, Option Data}. */
function ipv4Options(options: Uint8Array): Fields {
  for (let i = 0; i < options.length; ) {
    const kind = options[i] as number;
    if (kind === 0) break; // end of options
    if (kind === 1) {
      i++; // no-operation
      continue;
    }
    const length = options[i + 1] ?? 0;
    if (length < 2 || i + length > options.length) break;
    return { Copied: kind >> 7, 'Option Class': (kind >> 5) & 3, 'Option Number': kind & 31, 'Option Data': base64(options.subarray(i + 2, i + length)) };
  }
  return {};
}

const IPv4: LayerDecoder = {
  layer: 'IPv4',
  minLength: 20,
  decode(p) {
    const b = p.bytes;
    const v = dataView(b);
    const ihl = (b[0] as number) & 15;
    const totalLength = v.getUint16(2);
    const flagsFragment = v.getUint16(6);
    const protocol = b[9] as number;
    const headerLength = ihl * 4;
    const fields: Fields = {
      Version: (b[0] as number) >> 4,
      IHL: ihl,
      DSCP: (b[1] as number) >> 2,
      ECN: (b[1] as number) & 3,
      Total_Length: totalLength,
      Identification: v.getUint16(4),
      Flags: flagsFragment >> 13,
      Fragment_Offset: flagsFragment & 0x1fff,
      TTL: b[8] as number,
      Protocol: protocol,
      Header_Checksum: v.getUint16(10),
      Source_Address: ipv4Address(b.subarray(12, 16)),
      Destination_Address: ipv4Address(b.subarray(16, 20)),
      Options: ipv4Options(b.subarray(20, Math.min(headerLength, b.length))),
    };
    if ((b[0] as number) >> 4 !== 4 || ihl < 5) return { fields, next: { unknown: 'malformed IPv4 header', id: protocol } };
    if (b.length < headerLength) return { fields, next: { unknown: 'truncated IPv4 header', id: protocol } };
    if ((flagsFragment & 0x1fff) !== 0) return { fields, next: { unknown: 'IPv4 fragment not decoded', id: protocol } };
    // A zero total length (segmentation offload) leaves the captured length to go by.
    const declared = totalLength >= headerLength ? totalLength - headerLength : p.length - headerLength;
    return { fields, next: { table: 'ip', id: protocol, payload: rest(p, headerLength, declared) } };
  },
};

/** Extension headers walked to reach the upper layer; 59 (no next header) ends the packet. */
const IPV6_EXTENSIONS = new Set([0, 43, 44, 51, 60, 135, 139, 140, 253, 254]);
const MAX_EXTENSIONS = 16;

const IPv6: LayerDecoder = {
  layer: 'IPv6',
  minLength: 40,
  decode(p) {
    const b = p.bytes;
    const v = dataView(b);
    const first = v.getUint32(0);
    const trafficClass = (first >>> 20) & 0xff;
    const payloadLength = v.getUint16(4);
    let next = b[6] as number;
    const extensions: [number, string][] = [];
    const fields: Fields = {
      Version: first >>> 28,
      DS: trafficClass >> 2,
      ECN: trafficClass & 3,
      Flow_Label: first & 0xfffff,
      Payload_Length: payloadLength,
      Next_Header: next,
      Hop_Limit: b[7] as number,
      Source_Address: ipv6Address(b.subarray(8, 24)),
      Destination_Address: ipv6Address(b.subarray(24, 40)),
      Ext_Headers: extensions,
    };
    // A zero payload length (jumbogram or segmentation offload) leaves the captured length.
    let payload = rest(p, 40, payloadLength > 0 ? payloadLength : p.length - 40);
    while (IPV6_EXTENSIONS.has(next)) {
      const e = payload.bytes;
      if (e.length < 2 || extensions.length >= MAX_EXTENSIONS) return { fields, next: { unknown: 'truncated IPv6 extension header', id: next } };
      const length = next === 44 ? 8 : next === 51 ? ((e[1] as number) + 2) * 4 : ((e[1] as number) + 1) * 8;
      if (e.length < length) return { fields, next: { unknown: 'truncated IPv6 extension header', id: next } };
      extensions.push([next, base64(e.subarray(0, length))]);
      const following = e[0] as number;
      if (next === 44 && dataView(e).getUint16(2) >> 3 !== 0) return { fields, next: { unknown: 'IPv6 fragment not decoded', id: following } };
      next = following;
      payload = rest(payload, length);
    }
    if (next === 59) return { fields };
    return { fields, next: { table: 'ip', id: next, payload } };
  },
};

const ARP: LayerDecoder = {
  layer: 'ARP',
  minLength: 8,
  decode(p) {
    const b = p.bytes;
    const v = dataView(b);
    const ptype = v.getUint16(2);
    const hlen = b[4] as number;
    const plen = b[5] as number;
    const protocolAddress = (a: Uint8Array) =>
      ptype === 0x0800 && plen === 4 ? ipv4Address(a) : ptype === 0x86dd && plen === 16 ? ipv6Address(a) : Array.from(a, hex2).join(':');
    const field = (at: number, length: number) => b.subarray(Math.min(at, b.length), Math.min(at + length, b.length));
    const fields: Fields = {
      HTYPE: v.getUint16(0),
      PTYPE: ptype,
      HLEN: hlen,
      PLEN: plen,
      Operation: v.getUint16(6),
      SHA: macAddress(field(8, hlen)),
      SPA: protocolAddress(field(8 + hlen, plen)),
      THA: macAddress(field(8 + hlen + plen, hlen)),
      TPA: protocolAddress(field(8 + 2 * hlen + plen, plen)),
    };
    if (b.length < 8 + 2 * (hlen + plen)) return { fields, next: { unknown: 'truncated ARP', id: 0x0806 } };
    return { fields };
  },
};

/** Type, code, checksum and the rest of the header as base64, as the client sent them. */
function icmpLike(layer: 'ICMP' | 'ICMPv6'): LayerDecoder {
  return {
    layer,
    minLength: 8,
    decode(p) {
      const b = p.bytes;
      return { fields: { Type: b[0] as number, Code: b[1] as number, Checksum: dataView(b).getUint16(2), Message: base64(b.subarray(4, 8)) } };
    },
  };
}

const IGMP: LayerDecoder = {
  layer: 'IGMP',
  minLength: 8,
  decode(p) {
    const b = p.bytes;
    return { fields: { Type: b[0] as number, Max_Response_Time: b[1] as number, Checksum: dataView(b).getUint16(2), Group_Address: ipv4Address(b.subarray(4, 8)) } };
  },
};

const TCP_FLAGS = ['CWR', 'ECE', 'URG', 'ACK', 'PSH', 'RST', 'SYN', 'FIN'] as const;

/** The client reported only the first option (after no-operations), as {Option-Kind, Option-Length, Option-Data}. */
function tcpOptions(options: Uint8Array): Fields {
  for (let i = 0; i < options.length; ) {
    const kind = options[i] as number;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = options[i + 1] ?? 0;
    if (length < 2 || i + length > options.length) break;
    return { 'Option-Kind': kind, 'Option-Length': length, 'Option-Data': base64(options.subarray(i + 2, i + length)) };
  }
  return {};
}

const TCP: LayerDecoder = {
  layer: 'TCP',
  minLength: 20,
  decode(p) {
    const b = p.bytes;
    const v = dataView(b);
    const offsetByte = b[12] as number;
    const flagsByte = b[13] as number;
    const dataOffset = offsetByte >> 4;
    const flags: Record<string, number> = { NS: offsetByte & 1 };
    TCP_FLAGS.forEach((name, i) => (flags[name] = (flagsByte >> (7 - i)) & 1));
    return {
      fields: {
        Source_Port: v.getUint16(0),
        Destination_Port: v.getUint16(2),
        Sequence_Number: v.getUint32(4),
        Acknowledgement_Number: v.getUint32(8),
        Data_Offset: dataOffset,
        Reserved: (offsetByte & 0x0e) >> 1,
        Flags: flags,
        Window_Size: v.getUint16(14),
        Checksum: v.getUint16(16),
        Urgent_Pointer: v.getUint16(18),
        Options: tcpOptions(b.subarray(20, Math.min(dataOffset * 4, b.length))),
        Payload_Size: Math.max(0, p.length - Math.max(20, dataOffset * 4)),
      },
    };
  },
};

const UDP: LayerDecoder = {
  layer: 'UDP',
  minLength: 8,
  decode(p) {
    const v = dataView(p.bytes);
    return {
      fields: { Source_Port: v.getUint16(0), Destination_Port: v.getUint16(2), Length: v.getUint16(4), Checksum: v.getUint16(6), Payload_Size: Math.max(0, p.length - 8) },
    };
  },
};

const MAX_LLDP_TLVS = 256;

/** TLVs up to and including End of LLDPDU, each {Type, Length, Value as base64}, as the client sent them. */
const LLDP: LayerDecoder = {
  layer: 'LLDP',
  minLength: 2,
  decode(p) {
    const b = p.bytes;
    const tlvs: Fields[] = [];
    for (let at = 0; at + 2 <= b.length && tlvs.length < MAX_LLDP_TLVS; ) {
      const head = ((b[at] as number) << 8) | (b[at + 1] as number);
      const type = head >> 9;
      const length = head & 0x1ff;
      tlvs.push({ Type: type, Length: length, Value: base64(b.subarray(at + 2, Math.min(b.length, at + 2 + length))) });
      if (type === 0) break;
      at += 2 + length;
    }
    return { fields: { TLV: tlvs } };
  },
};

/** CDP TLVs kept by name; the client sent CDP without fields, the service's sample with these. */
const CDP_TLVS = new Map([
  [0x0001, 'Device_ID'],
  [0x0003, 'Port_ID'],
  [0x0005, 'Software_Version'],
  [0x0006, 'Platform'],
]);

const CDP: LayerDecoder = {
  layer: 'CDP',
  minLength: 4,
  decode(p) {
    const b = p.bytes;
    const v = dataView(b);
    const fields: Fields = { Version: b[0] as number, TTL: b[1] as number, Checksum: v.getUint16(2) };
    for (let at = 4; at + 4 <= b.length; ) {
      const type = v.getUint16(at);
      const length = v.getUint16(at + 2);
      if (length < 4) break;
      const name = CDP_TLVS.get(type);
      if (name !== undefined && fields[name] === undefined) fields[name] = text(b.subarray(at + 4, Math.min(b.length, at + length)));
      at += length;
    }
    return { fields };
  },
};

const Packet_802_2: LayerDecoder = {
  layer: 'Packet_802_2',
  minLength: 3,
  decode(p) {
    const b = p.bytes;
    const dsap = b[0] as number;
    // An unnumbered (U-format) PDU has an 8-bit control field; I- and S-format PDUs a 16-bit one.
    const wide = ((b[2] as number) & 3) !== 3;
    if (wide && b.length < 4) return { fields: { DSAP: dsap, SSAP: b[1] as number, Control: b[2] as number }, next: { unknown: 'truncated 802.2 LLC header', id: dsap } };
    const control = wide ? dataView(b).getUint16(2) : (b[2] as number);
    return { fields: { DSAP: dsap, SSAP: b[1] as number, Control: control }, next: { table: 'lsap', id: dsap, payload: rest(p, wide ? 4 : 3) } };
  },
};

const SAP_NAMES = new Map([
  [0x00, 'Null LSAP'],
  [0x02, 'LLC Sublayer Management'],
  [0x04, 'SNA Path Control'],
  [0x06, 'Internet Protocol (ARPANET)'],
  [0x0e, 'PROWAY Network Management'],
  [0x42, 'Spanning Tree BPDU'],
  [0x4e, 'EIA RS-511 Manufacturing Message Service'],
  [0x7e, 'ISO 8208 (X.25 over 802.2)'],
  [0x80, 'Xerox Network Systems'],
  [0x8e, 'PROWAY Active Station List'],
  [0xe0, 'Novell IPX'],
  [0xf0, 'NetBIOS'],
  [0xf4, 'LAN Management'],
  [0xf8, 'IBM Remote Program Load'],
  [0xfc, 'IBM Remote Program Load'],
  [0xfe, 'ISO Network Layer (OSI)'],
  [0xff, 'Global DSAP'],
]);

/** Any LLC SAP other than SNAP: named, as in the service's sample (the client sent the payload's base64). */
function lsapOne(dsap: number): LayerDecoder {
  return {
    layer: 'LSAP_One',
    minLength: 0,
    decode() {
      const name = SAP_NAMES.get(dsap) ?? SAP_NAMES.get(dsap & 0xfe) ?? `LSAP 0x${hex2(dsap)}`;
      return { fields: { Message: name } };
    },
  };
}

const SNAP_Ext: LayerDecoder = {
  layer: 'SNAP_Ext',
  minLength: 5,
  decode(p) {
    const b = p.bytes;
    const oui = ((b[0] as number) << 16) | ((b[1] as number) << 8) | (b[2] as number);
    const protocolId = dataView(b).getUint16(3);
    return { fields: { OUI: oui, Protocol_ID: protocolId }, next: { table: 'snap', id: oui * 0x10000 + protocolId, payload: rest(p, 5) } };
  },
};

// ---- tables ----

const ETHERTYPES = new Map<number, LayerDecoder>([
  [0x0800, IPv4],
  [0x86dd, IPv6],
  [0x0806, ARP],
  [0x88cc, LLDP],
  [0x2000, CDP], // where the client registered CDP; on the wire CDP comes over SNAP
]);

const IP_PROTOCOLS = new Map<number, LayerDecoder>([
  [1, icmpLike('ICMP')],
  [2, IGMP],
  [6, TCP],
  [17, UDP],
  [58, icmpLike('ICMPv6')],
]);

const CISCO_OUI = 0x00000c;

const TABLES: Record<TableName, Table> = {
  ethertype: { lookup: (id) => ETHERTYPES.get(id), unknown: 'EtherType not decoded' },
  ip: { lookup: (id) => IP_PROTOCOLS.get(id), unknown: 'IP protocol not decoded' },
  llc: { lookup: () => Packet_802_2, unknown: '802.2 LLC not decoded' },
  lsap: { lookup: (dsap) => (dsap === 0xaa ? SNAP_Ext : lsapOne(dsap)), unknown: 'LLC SAP not decoded' },
  snap: {
    lookup: (id) => {
      const oui = Math.floor(id / 0x10000);
      const protocolId = id % 0x10000;
      if (oui === 0) return ETHERTYPES.get(protocolId); // RFC 1042: an EtherType
      return oui === CISCO_OUI && protocolId === 0x2000 ? CDP : undefined;
    },
    unknown: 'SNAP protocol not decoded',
    identifier: (id) => id % 0x10000,
  },
};

// ---- link types ----

/** Linux's packet types (linux/if_packet.h), as the client named them. */
const PACKET_TYPES = ['PACKET_HOST', 'PACKET_BROADCAST', 'PACKET_MULTICAST', 'PACKET_OTHERHOST', 'PACKET_OUTGOING', 'PACKET_LOOPBACK', 'PACKET_USER', 'PACKET_KERNEL'];
const packetTypeName = (n: number) => PACKET_TYPES[n] ?? `PACKET_${n}`;

const ARPHRD = { ether: 1, loopback: 772, none: 0xfffe, netlink: 824, ieee80211: 801, ieee80211Prism: 802, ieee80211Radiotap: 803 } as const;
const ETH_P = { ip: 0x0800, ipv6: 0x86dd, novell8023: 0x0001, llc8022: 0x0004 } as const;

/** The packet type a raw socket would have reported: pcapng's epb_flags when present, else the destination address. */
function packetTypeOf(flags: number | undefined, destination?: Uint8Array): string {
  if (flags !== undefined) {
    if ((flags & 3) === 2) return 'PACKET_OUTGOING';
    const reception = (flags >> 2) & 7;
    if (reception === 1) return 'PACKET_HOST';
    if (reception === 2) return 'PACKET_MULTICAST';
    if (reception === 3) return 'PACKET_BROADCAST';
    if (reception === 4) return 'PACKET_OTHERHOST';
  }
  if (destination === undefined) return 'PACKET_HOST';
  if (destination.every((b) => b === 0xff)) return 'PACKET_BROADCAST';
  return ((destination[0] as number) & 1) === 1 ? 'PACKET_MULTICAST' : 'PACKET_HOST';
}

interface LinkResult {
  /** AF_Packet's fields other than the interface name. */
  af: Fields;
  layers?: [Protocol, Fields][];
  next?: Next;
}

interface LinkDecoder {
  name: string;
  decode(frame: CaptureFrame, data: Uint8Array): LinkResult;
}

const VLAN_TAGS = new Set([0x8100, 0x88a8, 0x9100]);

/** 802.1Q / 802.1ad tags stepped over: the EtherType they carry, what follows them, and their VLAN ids. */
function withoutVlanTags(type: number, payload: Payload): { type: number; payload: Payload; vlans: number[] } {
  const vlans: number[] = [];
  let at = 0;
  while (VLAN_TAGS.has(type) && at + 4 <= payload.bytes.length) {
    const v = dataView(payload.bytes);
    vlans.push(v.getUint16(at) & 0x0fff);
    type = v.getUint16(at + 2);
    at += 4;
  }
  return { type, payload: at === 0 ? payload : rest(payload, at), vlans };
}

const ethernet: LinkDecoder = {
  name: 'ETHERNET',
  decode(frame, data) {
    if (data.length < 14) {
      return { af: { Ethernet_Protocol_Number: 0, Packet_Type: packetTypeOf(frame.flags), ARP_Hardware_Address_Type: ARPHRD.ether }, next: { unknown: 'truncated Ethernet frame', id: 0 } };
    }
    const destination = data.subarray(0, 6);
    const source = data.subarray(6, 12);
    const fcs = frame.fcsLength ?? 0;
    const outerType = dataView(data).getUint16(12);
    const { type, payload, vlans } = withoutVlanTags(outerType, { bytes: data.subarray(14), length: Math.max(0, frame.originalLength - fcs - 14) });
    const af = (protocol: number): Fields => ({
      Ethernet_Protocol_Number: protocol,
      Packet_Type: packetTypeOf(frame.flags, destination),
      ARP_Hardware_Address_Type: ARPHRD.ether,
      Hardware_Physical_Address: macAddress(source),
    });
    if (type <= 1500) {
      // An 802.3 length field: an 802.2 LLC frame, reported (as the client did) from its LLC header on.
      const llc = rest(payload, 0, type);
      if (llc.bytes[0] === 0xff && llc.bytes[1] === 0xff) return { af: af(ETH_P.novell8023), next: { unknown: 'Novell raw 802.3 not decoded', id: ETH_P.novell8023 } };
      return { af: af(ETH_P.llc8022), next: { table: 'llc', id: 0, payload: llc } };
    }
    const link: Fields = { Destination_MAC: macAddress(destination), Source_MAC: macAddress(source), Ethertype: outerType };
    if (vlans.length > 0) link.VLAN_IDs = vlans;
    if (type < 0x0600) return { af: af(type), layers: [['Packet_802_3', link]], next: { unknown: 'invalid EtherType', id: type } };
    return { af: af(type), layers: [['Packet_802_3', link]], next: { table: 'ethertype', id: type, payload } };
  },
};

/** What follows a Linux cooked header: its protocol is an EtherType, or 802.2 / raw 802.3 for LLC frames. */
function cookedNext(hatype: number, protocol: number, payload: Payload): Next {
  if (hatype === ARPHRD.netlink) return { unknown: 'Netlink not decoded', id: protocol };
  if (hatype === ARPHRD.ieee80211 || hatype === ARPHRD.ieee80211Prism || hatype === ARPHRD.ieee80211Radiotap) return { unknown: '802.11 not decoded', id: protocol };
  if (protocol === ETH_P.llc8022) return { table: 'llc', id: 0, payload };
  if (protocol === ETH_P.novell8023) return { unknown: 'Novell raw 802.3 not decoded', id: protocol };
  return { table: 'ethertype', id: protocol, payload };
}

function cooked(frame: CaptureFrame, data: Uint8Array, header: number, fields: { protocol: number; hatype: number; pkttype: number; halen: number; address: number }, extra: Fields = {}): LinkResult {
  const address = data.subarray(fields.address, fields.address + Math.min(fields.halen, 8));
  // Tags the kernel left in place (no VLAN offload) are stepped over, as for Ethernet.
  const { type, payload, vlans } = withoutVlanTags(fields.protocol, { bytes: data.subarray(header), length: Math.max(0, frame.originalLength - header) });
  const af: Fields = {
    Ethernet_Protocol_Number: type,
    Packet_Type: packetTypeName(fields.pkttype),
    ARP_Hardware_Address_Type: fields.hatype,
    ...(address.length > 0 ? { Hardware_Physical_Address: macAddress(address) } : {}),
    ...extra,
    ...(vlans.length > 0 ? { VLAN_IDs: vlans } : {}),
  };
  return { af, next: cookedNext(fields.hatype, type, payload) };
}

const truncatedLink = (name: string, frame: CaptureFrame, hatype: number): LinkResult => ({
  af: { Ethernet_Protocol_Number: 0, Packet_Type: packetTypeOf(frame.flags), ARP_Hardware_Address_Type: hatype },
  next: { unknown: `truncated ${name} header`, id: 0 },
});

const linuxSll: LinkDecoder = {
  name: 'LINUX_SLL',
  decode(frame, data) {
    if (data.length < 16) return truncatedLink('Linux cooked', frame, ARPHRD.ether);
    const v = dataView(data);
    return cooked(frame, data, 16, { pkttype: v.getUint16(0), hatype: v.getUint16(2), halen: v.getUint16(4), address: 6, protocol: v.getUint16(14) });
  },
};

const linuxSll2: LinkDecoder = {
  name: 'LINUX_SLL2',
  decode(frame, data) {
    if (data.length < 20) return truncatedLink('Linux cooked v2', frame, ARPHRD.ether);
    const v = dataView(data);
    const fields = { protocol: v.getUint16(0), hatype: v.getUint16(8), pkttype: data[10] as number, halen: data[11] as number, address: 12 };
    return cooked(frame, data, 20, fields, { Interface_Index: v.getUint32(4) });
  },
};

/** An IP packet with no link header: the version nibble says which. */
function ipFrom(frame: CaptureFrame, data: Uint8Array, offset: number, hatype: number, version?: 4 | 6): LinkResult {
  const which = version ?? ((data[offset] ?? 0) >> 4);
  const protocol = which === 4 ? ETH_P.ip : which === 6 ? ETH_P.ipv6 : 0;
  const af: Fields = { Ethernet_Protocol_Number: protocol, Packet_Type: packetTypeOf(frame.flags), ARP_Hardware_Address_Type: hatype };
  if (protocol === 0) return { af, next: { unknown: 'not an IP packet', id: which } };
  return { af, next: { table: 'ethertype', id: protocol, payload: { bytes: data.subarray(offset), length: Math.max(0, frame.originalLength - offset) } } };
}

const rawIp = (name: string, version?: 4 | 6): LinkDecoder => ({ name, decode: (frame, data) => ipFrom(frame, data, 0, ARPHRD.none, version) });

/** BSD loopback: a 4-byte address family, in the capturing host's byte order (NULL) or network order (LOOP). */
const AF_INET6 = new Set([10, 24, 28, 30]); // Linux, NetBSD/OpenBSD, FreeBSD, macOS
const loopback = (name: string, networkOrder: boolean): LinkDecoder => ({
  name,
  decode(frame, data) {
    if (data.length < 4) return truncatedLink('loopback', frame, ARPHRD.loopback);
    const v = dataView(data);
    const family = v.getUint32(0, !networkOrder && data[0] !== 0);
    const version = family === 2 ? 4 : AF_INET6.has(family) ? 6 : undefined;
    if (version === undefined) {
      return { af: { Ethernet_Protocol_Number: 0, Packet_Type: packetTypeOf(frame.flags), ARP_Hardware_Address_Type: ARPHRD.loopback }, next: { unknown: 'address family not decoded', id: family } };
    }
    return ipFrom(frame, data, 4, ARPHRD.loopback, version);
  },
});

/** The link types decoded; every other one is counted as skipped. */
const LINK_TYPES = new Map<number, LinkDecoder>([
  [0, loopback('NULL', false)],
  [1, ethernet],
  [12, rawIp('RAW')], // DLT_RAW as some systems wrote it
  [14, rawIp('RAW')],
  [101, rawIp('RAW')],
  [108, loopback('LOOP', true)],
  [113, linuxSll],
  [228, rawIp('IPV4', 4)],
  [229, rawIp('IPV6', 6)],
  [276, linuxSll2],
]);

const OTHER_LINK_TYPES = new Map([
  [6, 'IEEE802_5'],
  [9, 'PPP'],
  [10, 'FDDI'],
  [50, 'PPP_HDLC'],
  [51, 'PPP_ETHER'],
  [104, 'C_HDLC'],
  [105, 'IEEE802_11'],
  [107, 'FRELAY'],
  [119, 'IEEE802_11_PRISM'],
  [127, 'IEEE802_11_RADIOTAP'],
  [187, 'BLUETOOTH_HCI_H4'],
  [189, 'USB_LINUX'],
  [192, 'PPI'],
  [195, 'IEEE802_15_4_WITHFCS'],
  [201, 'BLUETOOTH_HCI_H4_WITH_PHDR'],
  [220, 'USB_LINUX_MMAPPED'],
  [249, 'USBPCAP'],
  [253, 'NETLINK'],
]);

/** A link type's name as libpcap spells it (without LINKTYPE_), with its number. */
export function linkTypeName(linkType: number): string {
  const name = LINK_TYPES.get(linkType)?.name ?? OTHER_LINK_TYPES.get(linkType);
  return name === undefined ? `LINKTYPE ${linkType}` : `${name} (${linkType})`;
}

// ---- frames ----

export interface DecodeOptions {
  /** Interface_Name for frames whose capture does not name their interface. */
  interfaceName?: string;
}

export type DecodeResult = { packet: Packet } | { skipped: string };

const MAX_INTERFACE_NAME = 256;

/** A frame as the client would have sent it, or the name of its link type when that is not decoded. */
export function decodeFrame(frame: CaptureFrame, options: DecodeOptions = {}): DecodeResult {
  const link = LINK_TYPES.get(frame.linkType);
  if (link === undefined) return { skipped: linkTypeName(frame.linkType) };
  let data = frame.data;
  const fcs = frame.fcsLength ?? 0;
  // A frame check sequence is only in frames the capture kept whole.
  if (fcs > 0 && data.length === frame.originalLength && data.length >= fcs) data = data.subarray(0, data.length - fcs);

  const packet: Packet = {};
  const { af, layers = [], next: first } = link.decode(frame, data);
  for (const [name, fields] of layers) packet[name] = fields;
  let next = first;
  while (next !== undefined) {
    if ('unknown' in next) {
      packet.Unknown = { Message: next.unknown, Protocol_Identifier: next.id };
      break;
    }
    const table = TABLES[next.table];
    const decoder = table.lookup(next.id);
    const identifier = table.identifier?.(next.id) ?? next.id;
    if (decoder === undefined) {
      packet.Unknown = { Message: table.unknown, Protocol_Identifier: identifier };
      break;
    }
    // A packet holds each layer once: a second one (a tunnel) is left undecoded.
    if (packet[decoder.layer] !== undefined) {
      packet.Unknown = { Message: `nested ${decoder.layer} not decoded`, Protocol_Identifier: identifier };
      break;
    }
    if (next.payload.bytes.length < decoder.minLength) {
      packet.Unknown = { Message: `truncated ${decoder.layer}`, Protocol_Identifier: identifier };
      break;
    }
    const decoded = decoder.decode(next.payload, next.id);
    packet[decoder.layer] = decoded.fields;
    next = decoded.next;
  }
  const name = (frame.interfaceName || options.interfaceName || 'capture').slice(0, MAX_INTERFACE_NAME).toWellFormed();
  packet.AF_Packet = { Interface_Name: name, ...af };
  packet.Info = frame.timestamp !== undefined && frame.timestamp >= 0 ? { Sniffed_Timestamp: frame.timestamp, Size: frame.originalLength } : { Size: frame.originalLength };
  return { packet };
}
