import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CaptureFormatError, readCapture, type CaptureFrame, type ReadOptions } from '../../infra/capture/capture-reader.ts';
import { decodeFrame, ipv6Address, linkTypeName } from '../../infra/capture/frame-decoder.ts';
import { packetSchema, parsePackets, type Packet } from '../../functions/packets/packet-schema.ts';
import { layersOf } from '../../functions/packets/storage.ts';
import { unstorablePart } from '../../functions/shared/storable.ts';
import {
  CATALOGUE,
  LINKTYPE,
  catalogueFrame,
  cdp,
  ieee8023,
  hex,
  nullLoopback,
  pcap,
  pcapng,
  rawIp,
  sll,
  sll2,
  type CaptureRecord,
} from '../helpers/capture-writer.ts';

const frameOf = (data: Uint8Array, extra: Partial<CaptureFrame> = {}): CaptureFrame => ({ linkType: LINKTYPE.ETHERNET, interfaceId: 0, originalLength: data.length, data, ...extra });

function decode(data: Uint8Array, extra: Partial<CaptureFrame> = {}): Packet {
  const result = decodeFrame(frameOf(data, extra), { interfaceName: 'eth0' });
  if ('skipped' in result) throw new Error(`skipped ${result.skipped}`);
  return result.packet;
}

const byName = (name: string) => decode(catalogueFrame(name).bytes);

async function* chunks(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function readAll(bytes: Uint8Array, chunkSize = 1 << 16, options: ReadOptions = {}): Promise<CaptureFrame[]> {
  const frames: CaptureFrame[] = [];
  for await (const frame of readCapture(chunks(bytes, chunkSize), options)) frames.push({ ...frame, data: Uint8Array.from(frame.data) });
  return frames;
}

describe('frame decoding into the client layer format', () => {
  it.each(CATALOGUE.map((f) => [f.name, f] as const))('%s: holds exactly its layers and passes ingest validation', (_, frame) => {
    const packet = decode(frame.bytes);
    expect(layersOf(packet).sort()).toEqual([...frame.layers].sort());
    expect(packetSchema.safeParse(packet).success).toBe(true);
  });

  it('every catalogue packet together is one valid POST /packets body', () => {
    expect(parsePackets(CATALOGUE.map((f) => decode(f.bytes)))).toHaveLength(CATALOGUE.length);
  });

  it('a kernel TCP SYN on loopback (Ethernet II, IPv4, TCP with MSS first)', () => {
    const packet = byName('loopback tcpSyn');
    expect(packet.Packet_802_3).toEqual({ Destination_MAC: '00:00:00:00:00:00', Source_MAC: '00:00:00:00:00:00', Ethertype: 2048 });
    expect(packet.IPv4).toEqual({
      Version: 4, IHL: 5, DSCP: 0, ECN: 0, Total_Length: 60, Identification: 0x22ee, Flags: 2, Fragment_Offset: 0, TTL: 64,
      Protocol: 6, Header_Checksum: 0x19cc, Source_Address: '127.0.0.1', Destination_Address: '127.0.0.1', Options: {},
    });
    expect(packet.TCP).toEqual({
      Source_Port: 58932, Destination_Port: 47001, Sequence_Number: 0x03616f00, Acknowledgement_Number: 0, Data_Offset: 10, Reserved: 0,
      Flags: { NS: 0, CWR: 0, ECE: 0, URG: 0, ACK: 0, PSH: 0, RST: 0, SYN: 1, FIN: 0 },
      Window_Size: 65495, Checksum: 0xfe30, Urgent_Pointer: 0,
      Options: { 'Option-Kind': 2, 'Option-Length': 4, 'Option-Data': Buffer.from([0xff, 0xd7]).toString('base64') },
      Payload_Size: 0,
    });
    expect(packet.AF_Packet).toEqual({
      Interface_Name: 'eth0', Ethernet_Protocol_Number: 2048, Packet_Type: 'PACKET_HOST', ARP_Hardware_Address_Type: 1, Hardware_Physical_Address: '00:00:00:00:00:00',
    });
    expect(packet.Info).toEqual({ Size: 74 });
  });

  it('TCP payload size comes from the IP length, not the captured padding or a snap length', () => {
    expect(byName('loopback tcpHttpGet').TCP).toMatchObject({ Data_Offset: 8, Flags: { ACK: 1, PSH: 1 }, Payload_Size: 27 });
    expect(byName('TCP ACK padded to 60 bytes').TCP).toMatchObject({ Payload_Size: 0, Options: {} });
    // Cut at 60 of 93 bytes: the header still says 27 bytes of payload were on the wire.
    const cut = catalogueFrame('loopback tcpHttpGet').bytes;
    expect(decode(cut.subarray(0, 60), { originalLength: cut.length }).TCP).toMatchObject({ Payload_Size: 27 });
  });

  it('IPv6 TCP and UDP from loopback, addresses in RFC 5952 form', () => {
    expect(byName('loopback tcp6Data').IPv6).toEqual({
      Version: 6, DS: 0, ECN: 0, Flow_Label: 0x625c6, Payload_Length: 42, Next_Header: 6, Hop_Limit: 64,
      Source_Address: '::1', Destination_Address: '::1', Ext_Headers: [],
    });
    expect(byName('loopback tcp6Data').TCP).toMatchObject({ Source_Port: 59770, Destination_Port: 47002, Payload_Size: 10 });
    expect(byName('loopback udp6').UDP).toEqual({ Source_Port: 33881, Destination_Port: 47054, Length: 12, Checksum: 0x001f, Payload_Size: 4 });
  });

  it('UDP, and the ICMP error the kernel answered it with', () => {
    expect(byName('loopback udpDns').UDP).toEqual({ Source_Port: 48466, Destination_Port: 47053, Length: 37, Checksum: 0xfe38, Payload_Size: 29 });
    const error = byName('loopback icmpPortUnreachable');
    expect(error.IPv4).toMatchObject({ DSCP: 48, Flags: 0, Protocol: 1 });
    expect(error.ICMP).toEqual({ Type: 3, Code: 3, Checksum: 0xa7dc, Message: 'AAAAAA==' });
    expect(error.UDP).toBeUndefined(); // the quoted datagram is not a layer of this packet
  });

  it('ICMP and ICMPv6 echoes: the rest of the header as base64, as the client sent it', () => {
    expect(byName('loopback icmpEchoRequest').ICMP).toEqual({ Type: 8, Code: 0, Checksum: 0x8fea, Message: Buffer.from('4e490001', 'hex').toString('base64') });
    expect(byName('loopback icmpEchoReply').ICMP).toMatchObject({ Type: 0, Code: 0 });
    expect(byName('loopback icmpv6EchoRequest').ICMPv6).toEqual({ Type: 128, Code: 0, Checksum: 0x1796, Message: 'TkkAAQ==' });
    expect(byName('loopback icmpv6PortUnreachable').ICMPv6).toMatchObject({ Type: 1, Code: 4 });
    expect(byName('ICMPv6 neighbor solicitation')).toMatchObject({
      Packet_802_3: { Destination_MAC: '33:33:FF:44:43:68', Ethertype: 34525 },
      IPv6: { Hop_Limit: 255, Source_Address: 'fe80::215:5dff:fe3c:5fb2', Destination_Address: 'ff02::1:ff44:4368' },
      ICMPv6: { Type: 135, Code: 0 },
      AF_Packet: { Packet_Type: 'PACKET_MULTICAST' },
    });
  });

  it('IPv6 extension headers are listed as [type, base64] and walked to the upper layer', () => {
    const packet = byName('MLDv2 report after a hop-by-hop header');
    expect(packet.IPv6).toMatchObject({ Next_Header: 0, Ext_Headers: [[0, hex('3a00050200000100').toString('base64')]] });
    expect(packet.ICMPv6).toMatchObject({ Type: 143, Code: 0 });
  });

  it('ARP', () => {
    expect(byName('ARP request')).toMatchObject({
      Packet_802_3: { Destination_MAC: 'FF:FF:FF:FF:FF:FF', Source_MAC: '00:15:5D:3C:5F:B2', Ethertype: 2054 },
      ARP: { HTYPE: 1, PTYPE: 2048, HLEN: 6, PLEN: 4, Operation: 1, SHA: '00:15:5D:3C:5F:B2', SPA: '172.27.118.244', THA: '00:00:00:00:00:00', TPA: '172.27.112.1' },
      AF_Packet: { Ethernet_Protocol_Number: 2054, Packet_Type: 'PACKET_BROADCAST', ARP_Hardware_Address_Type: 1, Hardware_Physical_Address: '00:15:5D:3C:5F:B2' },
    });
    expect(byName('ARP reply').ARP).toMatchObject({ Operation: 2, SHA: '00:15:5D:44:43:68', TPA: '172.27.118.244' });
  });

  it('IGMP behind an IPv4 router-alert option (the first option, as the client reported it)', () => {
    const packet = byName('IGMPv2 report with router alert');
    expect(packet.IPv4).toMatchObject({ IHL: 6, TTL: 1, Protocol: 2, Options: { Copied: 1, 'Option Class': 0, 'Option Number': 20, 'Option Data': 'AAA=' } });
    expect(packet.IGMP).toMatchObject({ Type: 0x16, Max_Response_Time: 0, Group_Address: '224.0.0.251' });
    expect(byName('IGMPv3 report').IGMP).toMatchObject({ Type: 0x22 });
  });

  it('LLDP TLVs up to End of LLDPDU', () => {
    const tlvs = byName('LLDP').LLDP?.TLV as { Type: number; Length: number; Value: string }[];
    expect(tlvs.map((t) => [t.Type, t.Length])).toEqual([[1, 7], [2, 6], [3, 2], [5, 8], [0, 0]]);
    expect(Buffer.from(tlvs[3]?.Value ?? '', 'base64').toString()).toBe('switch-1');
    expect(Buffer.from(tlvs[2]?.Value ?? '', 'base64').readUInt16BE(0)).toBe(120);
  });

  it('802.3 frames with LLC: Packet_802_2 and LSAP_One, or SNAP_Ext and CDP', () => {
    expect(byName('STP configuration BPDU')).toMatchObject({
      Packet_802_2: { DSAP: 0x42, SSAP: 0x42, Control: 3 },
      LSAP_One: { Message: 'Spanning Tree BPDU' },
      AF_Packet: { Ethernet_Protocol_Number: 4, Packet_Type: 'PACKET_MULTICAST' },
    });
    expect(byName('NetBIOS over LLC').LSAP_One).toEqual({ Message: 'NetBIOS' });
    const cdp = byName('CDP over SNAP');
    expect(cdp.Packet_802_2).toEqual({ DSAP: 170, SSAP: 170, Control: 3 });
    expect(cdp.SNAP_Ext).toEqual({ OUI: 12, Protocol_ID: 8192 });
    expect(cdp.CDP).toMatchObject({ Version: 2, TTL: 180, Device_ID: 'switch-1', Port_ID: 'GigabitEthernet0/1', Platform: 'cisco WS-C2960-24TT-L' });
    expect(cdp.Packet_802_3).toBeUndefined();
  });

  it('Unknown for what no table decodes, as the client did', () => {
    expect(byName('EAPOL start (an EtherType not decoded)').Unknown).toEqual({ Message: 'EtherType not decoded', Protocol_Identifier: 34958 });
    expect(byName('GRE (an IP protocol not decoded)').Unknown).toEqual({ Message: 'IP protocol not decoded', Protocol_Identifier: 47 });
    expect(byName('a later IPv4 fragment').Unknown).toEqual({ Message: 'IPv4 fragment not decoded', Protocol_Identifier: 17 });
    const cut = catalogueFrame('loopback tcpSyn').bytes.subarray(0, 14 + 20 + 10);
    expect(decode(cut, { originalLength: 74 }).Unknown).toEqual({ Message: 'truncated TCP', Protocol_Identifier: 6 });
  });

  it('VLAN tags are stepped over and listed', () => {
    const packet = byName('DNS answer in a VLAN');
    expect(packet.Packet_802_3).toMatchObject({ Ethertype: 0x8100, VLAN_IDs: [100] });
    expect(packet.AF_Packet).toMatchObject({ Ethernet_Protocol_Number: 2048 });
    expect(packet.UDP).toMatchObject({ Source_Port: 53, Payload_Size: 45 });
  });

  it('Info: the capture time and the length on the wire', () => {
    const frame = catalogueFrame('loopback udpDns').bytes;
    expect(decode(frame, { timestamp: 1_621_670_782.5, originalLength: 71 }).Info).toEqual({ Sniffed_Timestamp: 1_621_670_782.5, Size: 71 });
  });

  it('a frame check sequence the capture recorded is not payload', () => {
    const frame = catalogueFrame('loopback udpDns').bytes;
    const withFcs = Buffer.concat([frame, hex('deadbeef')]);
    expect(decode(withFcs, { fcsLength: 4 }).UDP).toMatchObject({ Payload_Size: 29 });
  });

  it('pcapng direction and reception flags give the packet type', () => {
    const frame = catalogueFrame('TCP ACK padded to 60 bytes').bytes;
    expect(decode(frame, { flags: 2 }).AF_Packet).toMatchObject({ Packet_Type: 'PACKET_OUTGOING' });
    expect(decode(frame, { flags: 1 | (4 << 2) }).AF_Packet).toMatchObject({ Packet_Type: 'PACKET_OTHERHOST' });
  });
});

describe('link types', () => {
  const syn = catalogueFrame('loopback tcpSyn').bytes;
  const stp = catalogueFrame('STP configuration BPDU').bytes;
  const arpRequest = catalogueFrame('ARP request').bytes;
  const linkDecode = (linkType: number, data: Uint8Array, extra: Partial<CaptureFrame> = {}) => decode(data, { linkType, ...extra });

  it('Linux cooked capture (SLL): the packet type, hardware type and address of the header', () => {
    const packet = linkDecode(LINKTYPE.LINUX_SLL, sll(syn, 4, 772));
    expect(layersOf(packet).sort()).toEqual(['AF_Packet', 'IPv4', 'TCP']);
    expect(packet.AF_Packet).toEqual({ Interface_Name: 'eth0', Ethernet_Protocol_Number: 2048, Packet_Type: 'PACKET_OUTGOING', ARP_Hardware_Address_Type: 772, Hardware_Physical_Address: '00:00:00:00:00:00' });
    expect(packet.TCP).toMatchObject({ Destination_Port: 47001, Flags: { SYN: 1 } });
    expect(linkDecode(LINKTYPE.LINUX_SLL, sll(arpRequest, 1)).AF_Packet).toMatchObject({ Packet_Type: 'PACKET_BROADCAST', Hardware_Physical_Address: '00:15:5D:3C:5F:B2' });
    const tagged = linkDecode(LINKTYPE.LINUX_SLL, sll(catalogueFrame('DNS answer in a VLAN').bytes));
    expect(tagged).toMatchObject({ AF_Packet: { Ethernet_Protocol_Number: 2048, VLAN_IDs: [100] }, UDP: { Source_Port: 53, Payload_Size: 45 } });
    expect(linkDecode(LINKTYPE.RAW, rawIp(catalogueFrame('DNS answer in a VLAN').bytes)).UDP).toMatchObject({ Source_Port: 53 });
    expect(linkDecode(LINKTYPE.LINUX_SLL, sll(stp, 2))).toMatchObject({ Packet_802_2: { DSAP: 0x42 }, LSAP_One: { Message: 'Spanning Tree BPDU' }, AF_Packet: { Ethernet_Protocol_Number: 4 } });
  });

  it('Linux cooked capture v2 (SLL2), with the interface index', () => {
    const packet = linkDecode(LINKTYPE.LINUX_SLL2, sll2(arpRequest, 3, 1));
    expect(packet).toMatchObject({
      ARP: { SPA: '172.27.118.244', TPA: '172.27.112.1' },
      AF_Packet: { Ethernet_Protocol_Number: 2054, Packet_Type: 'PACKET_BROADCAST', ARP_Hardware_Address_Type: 1, Hardware_Physical_Address: '00:15:5D:3C:5F:B2', Interface_Index: 3 },
    });
  });

  it('raw IP, version from the first nibble', () => {
    const v4 = linkDecode(LINKTYPE.RAW, rawIp(syn));
    expect(layersOf(v4).sort()).toEqual(['AF_Packet', 'IPv4', 'TCP']);
    expect(v4.AF_Packet).toEqual({ Interface_Name: 'eth0', Ethernet_Protocol_Number: 2048, Packet_Type: 'PACKET_HOST', ARP_Hardware_Address_Type: 65534 });
    const v6 = linkDecode(LINKTYPE.RAW, rawIp(catalogueFrame('loopback icmpv6EchoReply').bytes));
    expect(layersOf(v6).sort()).toEqual(['AF_Packet', 'ICMPv6', 'IPv6']);
    expect(linkDecode(228, rawIp(syn)).IPv4).toMatchObject({ Protocol: 6 });
  });

  it('BSD loopback (NULL, host byte order) and LOOP (network byte order)', () => {
    const v4 = linkDecode(LINKTYPE.NULL, nullLoopback(syn));
    expect(v4.AF_Packet).toMatchObject({ Ethernet_Protocol_Number: 2048, ARP_Hardware_Address_Type: 772 });
    expect(v4.TCP).toMatchObject({ Flags: { SYN: 1 } });
    const v6 = linkDecode(LINKTYPE.NULL, nullLoopback(catalogueFrame('loopback tcp6Syn').bytes, false, 24));
    expect(v6.IPv6).toMatchObject({ Next_Header: 6 });
    expect(linkDecode(LINKTYPE.LOOP, nullLoopback(syn, true)).IPv4).toMatchObject({ Protocol: 6 });
    expect(linkDecode(LINKTYPE.NULL, hex('07000000 0102')).Unknown).toEqual({ Message: 'address family not decoded', Protocol_Identifier: 7 });
  });

  it('other link types are skipped by name', () => {
    expect(decodeFrame(frameOf(syn, { linkType: LINKTYPE.IEEE802_11 }))).toEqual({ skipped: 'IEEE802_11 (105)' });
    expect(decodeFrame(frameOf(syn, { linkType: 4242 }))).toEqual({ skipped: 'LINKTYPE 4242' });
    expect(linkTypeName(1)).toBe('ETHERNET (1)');
  });

  it('packets of every link type pass ingest validation', () => {
    const packets = [
      linkDecode(LINKTYPE.LINUX_SLL, sll(syn)),
      linkDecode(LINKTYPE.LINUX_SLL2, sll2(stp)),
      linkDecode(LINKTYPE.RAW, rawIp(syn)),
      linkDecode(LINKTYPE.NULL, nullLoopback(syn)),
      linkDecode(LINKTYPE.LOOP, nullLoopback(syn, true)),
      linkDecode(LINKTYPE.ETHERNET, hex('0102')),
    ];
    expect(parsePackets(packets)).toHaveLength(packets.length);
  });
});

describe('whatever the bytes', () => {
  const linkTypes = [LINKTYPE.ETHERNET, LINKTYPE.LINUX_SLL, LINKTYPE.LINUX_SLL2, LINKTYPE.RAW, LINKTYPE.NULL, LINKTYPE.LOOP, 228, 229];
  const check = (linkType: number, data: Uint8Array, originalLength = data.length) => {
    const result = decodeFrame({ linkType, interfaceId: 0, originalLength, data, timestamp: 1_700_000_000 });
    if ('skipped' in result) throw new Error('a decoded link type was skipped');
    expect(packetSchema.safeParse(result.packet).success).toBe(true);
    expect(unstorablePart(result.packet)).toBeUndefined();
  };

  it('random frames decode into valid, storable packets', () => {
    fc.assert(fc.property(fc.constantFrom(...linkTypes), fc.uint8Array({ maxLength: 200 }), (linkType, data) => check(linkType, data)), { numRuns: 2000 });
  });

  it('real frames cut short or with bytes changed decode into valid, storable packets', () => {
    const frame = fc.constantFrom(...CATALOGUE.map((f) => f.bytes));
    const mutation = fc.tuple(frame, fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }));
    fc.assert(
      fc.property(mutation, ([bytes, cut, changes]) => {
        const data = Uint8Array.from(bytes.subarray(0, bytes.length - (cut % Math.max(1, bytes.length))));
        for (const [at, value] of changes) if (data.length > 0) data[at % data.length] = value;
        check(LINKTYPE.ETHERNET, data, bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it('strings stay well-formed when cut to length', () => {
    const long = '\u{1F600}'.repeat(200); // surrogate pairs: after one 'x', a cut at 256 units splits a pair
    const packet = decode(ieee8023('01:00:0c:cc:cc:cc', '00:1c:0e:87:85:04', Buffer.concat([hex('aaaa03 00000c 2000'), cdp([[1, `x${long}`]])])));
    expect((packet.CDP?.Device_ID as string).length).toBeLessThanOrEqual(256);
    expect((packet.CDP?.Device_ID as string).isWellFormed()).toBe(true);
    expect(decode(hex('0102'), { interfaceName: `y${long}` }).AF_Packet?.Interface_Name).toSatisfy((name: string) => name.isWellFormed() && name.length <= 256);
  });
});

describe('IPv6 text form (RFC 5952)', () => {
  it.each([
    ['00000000000000000000000000000001', '::1'],
    ['fe8000000000000002155dfffe3c5fb2', 'fe80::215:5dff:fe3c:5fb2'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    ['20010db8000100000000000000000000', '2001:db8:1::'],
    ['20010db8000100010001000100010001', '2001:db8:1:1:1:1:1:1'],
    ['00000000000000000000000000000000', '::'],
  ])('%s → %s', (bytes, text) => expect(ipv6Address(hex(bytes))).toBe(text));
});

describe('streaming pcap and pcapng reader', () => {
  const frames = CATALOGUE.slice(0, 6);
  const records: CaptureRecord[] = frames.map((f, i) => ({ time: 1_700_000_000 + i + 0.25, data: f.bytes }));

  it.each([
    ['little-endian, microseconds', { linkType: 1 }],
    ['big-endian, microseconds', { linkType: 1, bigEndian: true }],
    ['little-endian, nanoseconds', { linkType: 1, nanoseconds: true }],
    ['big-endian, nanoseconds', { linkType: 1, nanoseconds: true, bigEndian: true }],
  ])('pcap, %s, one byte at a time', async (_, options) => {
    const read = await readAll(pcap(options, records), 1);
    expect(read.map((f) => Buffer.from(f.data).toString('hex'))).toEqual(frames.map((f) => f.bytes.toString('hex')));
    expect(read.map((f) => f.timestamp)).toEqual(records.map((r) => r.time));
    expect(read.every((f) => f.linkType === 1 && f.interfaceId === 0)).toBe(true);
  });

  it('pcap: nanosecond fractions survive', async () => {
    const [frame] = await readAll(pcap({ linkType: 1, nanoseconds: true }, [{ time: 1_700_000_000.123456789, data: frames[0]?.bytes ?? hex('') }]));
    expect(frame?.timestamp).toBeCloseTo(1_700_000_000.123456789, 6);
  });

  it('pcap: a frame cut at the snap length keeps its length on the wire', async () => {
    const data = frames[0]?.bytes.subarray(0, 40) ?? hex('');
    const [frame] = await readAll(pcap({ linkType: 1, snapLength: 40 }, [{ time: 1, data, originalLength: 74 }]));
    expect(frame).toMatchObject({ originalLength: 74 });
    expect(frame?.data).toHaveLength(40);
  });

  it('pcapng: sections of either byte order, named interfaces of several link types, resolutions, simple blocks and flags', async () => {
    const arp = catalogueFrame('ARP request').bytes;
    const file = pcapng([
      {
        interfaces: [{ linkType: 1, name: 'eth0' }, { linkType: 276, name: 'any', tsresol: 9 }, { linkType: 105, name: 'wlan0' }],
        records: [
          { time: 1_700_000_000.5, data: arp, interfaceId: 0, flags: 2 },
          { time: 1_700_000_001.000000123, data: sll2(arp), interfaceId: 1 },
          { time: 1_700_000_002, data: hex('0800'), interfaceId: 2 },
          { time: 0, data: arp, simple: true },
        ],
      },
      { bigEndian: true, interfaces: [{ linkType: 101, tsresol: 0x80 | 20 }], records: [{ time: 1_700_000_003.5, data: rawIp(catalogueFrame('loopback tcpSyn').bytes) }] },
    ]);
    const read = await readAll(file, 5);
    expect(read.map((f) => [f.linkType, f.interfaceId, f.interfaceName])).toEqual([
      [1, 0, 'eth0'],
      [276, 1, 'any'],
      [105, 2, 'wlan0'],
      [1, 0, 'eth0'],
      [101, 0, undefined],
    ]);
    expect(read[0]).toMatchObject({ timestamp: 1_700_000_000.5, flags: 2 });
    expect(read[1]?.timestamp).toBeCloseTo(1_700_000_001.000000123, 6);
    expect(read[3]?.timestamp).toBeUndefined();
    expect(read[4]?.timestamp).toBe(1_700_000_003.5);
    expect(Buffer.from(read[3]?.data ?? []).equals(arp)).toBe(true);

    const decoded = read.map((f) => decodeFrame(f));
    expect(decoded[2]).toEqual({ skipped: 'IEEE802_11 (105)' });
    expect(decoded[0]).toMatchObject({ packet: { AF_Packet: { Interface_Name: 'eth0', Packet_Type: 'PACKET_OUTGOING' }, Info: { Sniffed_Timestamp: 1_700_000_000.5, Size: 60 } } });
    expect(decoded[1]).toMatchObject({ packet: { AF_Packet: { Interface_Name: 'any', Interface_Index: 2 }, ARP: { Operation: 1 } } });
    expect(decoded[3]).toMatchObject({ packet: { Info: { Size: 60 } } });
    expect(decoded[4]).toMatchObject({ packet: { TCP: { Flags: { SYN: 1 } }, AF_Packet: { Interface_Name: 'capture' } } });
  });

  it('a capture cut short yields what is whole and reports the rest', async () => {
    for (const file of [pcap({ linkType: 1 }, records), pcapng([{ interfaces: [{ linkType: 1 }], records }])]) {
      let left: number | undefined;
      const read = await readAll(file.subarray(0, file.length - 10), 7, { onTruncated: (bytes) => (left = bytes) });
      expect(read).toHaveLength(records.length - 1);
      expect(left).toBeGreaterThan(0);
    }
  });

  it('refuses what is not a capture', async () => {
    await expect(readAll(Buffer.from('{"not": "a capture"}'))).rejects.toBeInstanceOf(CaptureFormatError);
    await expect(readAll(hex('d4c3b2a1'))).rejects.toThrow(/file header is cut short/);
    const corrupt = pcap({ linkType: 1 }, records);
    corrupt.writeUInt32LE(0x7fffffff, 24 + 8); // the first record's captured length
    await expect(readAll(corrupt)).rejects.toThrow(/corrupt/);
  });

  it('streams: a large capture in small chunks, without holding it', async () => {
    const count = 20_000;
    const frame = catalogueFrame('loopback udpDns').bytes;
    async function* generated(): AsyncGenerator<Uint8Array> {
      yield pcap({ linkType: 1 }, []);
      for (let i = 0; i < count; i++) yield pcap({ linkType: 1 }, [{ time: i, data: frame }]).subarray(24);
    }
    let seen = 0;
    for await (const f of readCapture(generated())) {
      expect(f.data.length).toBe(frame.length);
      seen++;
    }
    expect(seen).toBe(count);
  });
});
