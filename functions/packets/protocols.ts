/** The layer names the network-monitor-client sends; each is a protocol we count. */
export const PROTOCOLS = [
  'AF_Packet',
  'ARP',
  'CDP',
  'ICMP',
  'ICMPv6',
  'IGMP',
  'IPv4',
  'IPv6',
  'LLDP',
  'LSAP_One',
  'Packet_802_2',
  'Packet_802_3',
  'SNAP_Ext',
  'TCP',
  'UDP',
  'Unknown',
] as const;

export type Protocol = (typeof PROTOCOLS)[number];

// A Map, not an object literal: "__proto__" or "constructor" must not resolve to Object.prototype's members.
const BY_LOWERCASE = new Map<string, Protocol>([
  ...PROTOCOLS.map((p): [string, Protocol] => [p.toLowerCase(), p]),
  // Table names the original MySQL server derived from the layer names; its clients still use them.
  ['i_pv4', 'IPv4'],
  ['i_pv6', 'IPv6'],
  ['af__packet', 'AF_Packet'],
]);

/** A protocol by name, case-insensitively, including legacy aliases; undefined when unknown. */
export function resolveProtocol(name: string): Protocol | undefined {
  return BY_LOWERCASE.get(name.toLowerCase());
}
