import * as z from 'zod';
import type { Protocol } from './protocols.ts';

// One schema per layer of the network-monitor-client's packet format. Required fields
// are those the client always sends; fields it adds later pass through unchanged.
const int = z.number().int();
const num = z.number();
// The client has sent some LLC fields as numbers and others as hex strings.
const numberOrString = z.union([z.number(), z.string().max(64)]);
const text = z.string().max(1024);
/**
 * When the packet was sniffed, in seconds since 1970, before the year 10000: it becomes the
 * layers' time and a device's first and last seen, kept as ISO 8601 dates of four-digit
 * year (and compared as such); from 8.64e12 there is no date at all. Milliseconds sent for
 * seconds land here. The other times are not stored (Info is no layer).
 */
const sniffedAt = num.nonnegative().lt(253_402_300_800, 'is after the year 9999 (seconds since 1970 expected)');

export const infoSchema = z.looseObject({
  Sniffed_Timestamp: sniffedAt.optional(),
  Processed_Timestamp: num.nonnegative().optional(),
  Submitted_Timestamp: num.nonnegative().optional(),
  Submitter_Timestamp: num.nonnegative().optional(),
  Size: int.nonnegative().optional(),
});

export const layerSchemas: Record<Protocol, z.ZodType> = {
  AF_Packet: z.looseObject({
    Interface_Name: text,
    Ethernet_Protocol_Number: int,
    Packet_Type: text,
    ARP_Hardware_Address_Type: int,
    Hardware_Physical_Address: text.optional(),
  }),
  Packet_802_2: z.looseObject({ DSAP: numberOrString, SSAP: numberOrString, Control: numberOrString }),
  Packet_802_3: z.looseObject({ Destination_MAC: text, Source_MAC: text, Ethertype: int }),
  IPv4: z.looseObject({
    Version: int,
    IHL: int,
    DSCP: int,
    ECN: int,
    Total_Length: int,
    Identification: int,
    Flags: int,
    Fragment_Offset: int,
    TTL: int,
    Protocol: int,
    Header_Checksum: int,
    Source_Address: text,
    Destination_Address: text,
    Options: z.record(z.string(), z.unknown()).optional(),
  }),
  IPv6: z.looseObject({
    Version: int,
    DS: int,
    ECN: int,
    Flow_Label: int,
    Payload_Length: int,
    Next_Header: int,
    Hop_Limit: int,
    Source_Address: text,
    Destination_Address: text,
    Ext_Headers: z.array(z.unknown()).max(64).optional(),
  }),
  ARP: z.looseObject({
    HTYPE: int,
    PTYPE: int,
    HLEN: int,
    PLEN: int,
    Operation: int,
    SHA: text,
    SPA: text,
    THA: text,
    TPA: text,
  }),
  CDP: z.looseObject({}),
  LLDP: z.looseObject({
    TLV: z.array(z.looseObject({ Type: int.optional(), Length: int.optional(), Value: z.unknown().optional() })).max(256),
  }),
  IGMP: z.looseObject({ Type: int, Max_Response_Time: num, Checksum: int, Group_Address: text }),
  ICMP: z.looseObject({ Type: int, Code: int, Checksum: int, Message: text.optional() }),
  ICMPv6: z.looseObject({ Type: int, Code: int, Checksum: int, Message: text.optional() }),
  TCP: z.looseObject({
    Source_Port: int.min(0).max(65535),
    Destination_Port: int.min(0).max(65535),
    Sequence_Number: int,
    Acknowledgement_Number: int,
    Data_Offset: int,
    Reserved: int,
    Flags: z.record(z.string(), num),
    Window_Size: int,
    Checksum: int,
    Urgent_Pointer: int,
    Options: z.record(z.string(), z.unknown()).optional(),
    Payload_Size: int.nonnegative(),
  }),
  UDP: z.looseObject({
    Source_Port: int.min(0).max(65535),
    Destination_Port: int.min(0).max(65535),
    Length: int,
    Checksum: int,
    Payload_Size: int.nonnegative(),
  }),
  LSAP_One: z.looseObject({ Message: text.optional() }),
  SNAP_Ext: z.looseObject({ OUI: numberOrString, Protocol_ID: numberOrString }),
  Unknown: z.looseObject({ Message: text.optional(), Protocol_Identifier: int.optional() }),
};
