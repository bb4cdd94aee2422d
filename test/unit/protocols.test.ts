import { describe, expect, it } from 'vitest';
import { PROTOCOLS, resolveProtocol } from '../../functions/packets/protocols.ts';

describe('protocol names', () => {
  it.each([
    ['IPv4', 'IPv4'],
    ['ipv4', 'IPv4'],
    ['IPV6', 'IPv6'],
    ['af_packet', 'AF_Packet'],
    ['i_pv4', 'IPv4'],
    ['I_PV6', 'IPv6'],
    ['af__packet', 'AF_Packet'],
    ['packet_802_3', 'Packet_802_3'],
    ['icmpv6', 'ICMPv6'],
  ])('%s resolves to %s', (name, protocol) => {
    expect(resolveProtocol(name)).toBe(protocol);
  });

  it.each(['', 'IPv5', 'tcp ', 'i_pv5', 'Info'])('%j is unknown', (name) => {
    expect(resolveProtocol(name)).toBeUndefined();
  });

  it('resolves every known layer by its own name', () => {
    for (const protocol of PROTOCOLS) expect(resolveProtocol(protocol)).toBe(protocol);
  });
});
