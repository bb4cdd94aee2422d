import type { NetworkState, SimDevice } from './network.ts';

/** What a real network would send for one step, in the clients' own formats. */
export interface Emissions {
  inventory: Record<string, string>[];
  notifications: string[];
  packets: Record<string, unknown>[];
  flows: Record<string, unknown>[];
  netify: string;
}

const APPLICATIONS = ['netify.youtube', 'netify.google', 'netify.microsoft-365', 'netify.netflix', 'netify.zoom'];

export function emissions(state: NetworkState): Emissions {
  const clock = state.clock as string;
  const router = state.devices[0] as SimDevice;
  const active = state.devices.filter((d) => d.active_connection);
  const seconds = Date.parse(clock) / 1000;
  return {
    inventory: state.devices.map(({ host_name, device_type, operating_system, mac_address, ip_address }) => ({
      host_name,
      device_type,
      operating_system,
      mac_address,
      ip_address,
    })),
    notifications: state.devices.map((d) => JSON.stringify(notification(d, clock, state.booted_at))),
    packets: active.filter((d) => d !== router).map((d, i) => packet(d, router, seconds + i / 1000)),
    flows: active.map((d) => ({
      src_app: d.host_name,
      dest_app: 'internet',
      vpc_id: 'simulated-network',
      bytes_tx: Math.round((d.upload_mbps * 1_000_000 * 60) / 8),
      bytes_rx: Math.round((d.download_mbps * 1_000_000 * 60) / 8),
      hour: Math.floor(seconds / 3600),
    })),
    netify: active
      .flatMap((d) => {
        // One long-lived flow per device, whose application never changes, as with a real digest.
        const index = state.devices.indexOf(d);
        const digest = `${d.mac_address.replace(/:/g, '')}`.padEnd(40, '0');
        const flow = { digest, local_mac: d.mac_address, local_ip: d.ip_address, detected_application_name: APPLICATIONS[index % APPLICATIONS.length], last_seen_at: Date.parse(clock) };
        const stats = {
          digest,
          local_bytes: Math.round((d.upload_mbps * 1_000_000 * 60) / 8),
          other_bytes: Math.round((d.download_mbps * 1_000_000 * 60) / 8),
          local_packets: d.upload_mbps * 100,
          other_packets: d.download_mbps * 100,
          last_seen_at: Date.parse(clock),
        };
        return [JSON.stringify({ type: 'flow', interface: 'eth0', internal: true, flow }), JSON.stringify({ type: 'flow_stats', interface: 'eth0', internal: true, flow: stats })];
      })
      .join('\n'),
  };
}

function notification(device: SimDevice, clock: string, bootedAt: string) {
  const up = device.active_connection;
  return {
    'ietf-https-notif:notification': {
      eventTime: clock,
      interface_data: {
        interface: [
          {
            name: 'eth0',
            description: `${device.host_name} uplink`,
            type: 'iana-if-type:ethernetCsmacd',
            enabled: true,
            'admin-status': 'up',
            'oper-status': up ? 'up' : 'down',
            'if-index': 1,
            'phys-address': device.mac_address,
            speed: '1000000000',
            statistics: {
              'discontinuity-time': bootedAt,
              'in-octets': device.in_octets,
              'out-octets': device.out_octets,
              'in-discards': 0,
              'in-errors': 0,
              'out-discards': 0,
              'out-errors': 0,
            },
          },
        ],
      },
    },
  };
}

function packet(from: SimDevice, to: SimDevice, timestamp: number) {
  return {
    Packet_802_3: { Destination_MAC: to.mac_address, Source_MAC: from.mac_address, Ethertype: 2048 },
    IPv4: {
      Version: 4, IHL: 5, DSCP: 0, ECN: 0, Total_Length: 52, Identification: 1, Flags: 2, Fragment_Offset: 0, TTL: 64,
      Protocol: 6, Header_Checksum: 0, Source_Address: from.ip_address, Destination_Address: to.ip_address, Options: {},
    },
    TCP: {
      Source_Port: 49152, Destination_Port: 443, Sequence_Number: 1, Acknowledgement_Number: 1, Data_Offset: 5, Reserved: 0,
      Flags: { ACK: 1, PSH: 1 }, Window_Size: 64240, Checksum: 0, Urgent_Pointer: 0, Options: {}, Payload_Size: 0,
    },
    Info: { Sniffed_Timestamp: timestamp, Processed_Timestamp: timestamp, Submitted_Timestamp: timestamp, Size: 66 },
  };
}
