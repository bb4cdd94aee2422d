import { SeededRandom } from './random.ts';

/** A simulated device: its static data and the counters its interface has moved so far. */
export interface SimDevice {
  host_name: string;
  device_type: string;
  operating_system: string;
  mac_address: string;
  ip_address: string;
  active_connection: boolean;
  upload_mbps: number;
  download_mbps: number;
  in_octets: string;
  out_octets: string;
}

export interface NetworkState {
  seed: string;
  step: number;
  /** The simulated time of the last step, ISO. */
  clock: string | null;
  random: number;
  booted_at: string;
  devices: SimDevice[];
}

const KINDS: [string, string, string][] = [
  ['RT', 'Router', 'Cisco IOS'],
  ['SW', 'Switch', 'Cisco IOS'],
  ['FW', 'Firewall', 'PAN-OS'],
  ['AP', 'Access Point', 'UniFi OS'],
  ['SRV', 'Server', 'Ubuntu 24.04'],
  ['NAS', 'Storage', 'TrueNAS'],
  ['PC', 'Workstation', 'Windows 11'],
  ['MAC', 'Laptop', 'macOS 15'],
  ['PHONE', 'Phone', 'Android 15'],
  ['PRN', 'Printer', 'HP FutureSmart'],
  ['CAM', 'Camera', 'Embedded Linux'],
  ['TV', 'Smart TV', 'Tizen'],
];

/** The network as it starts: a dozen devices of mixed types, all derived from the seed. */
export function initialNetwork(seed: string, deviceCount: number, bootedAt: string): NetworkState {
  const random = SeededRandom.fromSeed(seed);
  const devices = Array.from({ length: deviceCount }, (_, i): SimDevice => {
    const [prefix, type, os] = KINDS[i % KINDS.length] as [string, string, string];
    // Locally administered unicast MACs (02:...), so they never collide with real hardware.
    const tail = Array.from({ length: 4 }, () => random.int(0, 255).toString(16).padStart(2, '0'));
    return {
      host_name: `${prefix}${Math.floor(i / KINDS.length) + 1}`,
      device_type: type,
      operating_system: os,
      mac_address: `02:5e:${tail.join(':')}`,
      ip_address: `172.16.101.${i + 1}`,
      active_connection: true,
      upload_mbps: 0,
      download_mbps: 0,
      in_octets: String(random.int(0, 1_000_000_000)),
      out_octets: String(random.int(0, 1_000_000_000)),
    };
  });
  return { seed, step: 0, clock: null, random: random.state, booted_at: bootedAt, devices };
}

/**
 * One step of the simulated network, the dynamics of the dashboard this replaces: each
 * device's connection flips with probability 1/5; a connected device draws an upload of
 * 0-12 and a download of 0-70 Mbit/s, a disconnected one 0/0; the interface counters
 * grow by what those speeds move in the time since the last step.
 */
export function advance(state: NetworkState, clock: string): NetworkState {
  const random = new SeededRandom(state.random);
  const seconds = state.clock === null ? 60 : Math.max(0, (Date.parse(clock) - Date.parse(state.clock)) / 1000);
  const devices = state.devices.map((device) => {
    const active = random.int(1, 5) > 4 ? !device.active_connection : device.active_connection;
    const upload = active ? random.int(0, 12) : 0;
    const download = active ? random.int(0, 70) : 0;
    return {
      ...device,
      active_connection: active,
      upload_mbps: upload,
      download_mbps: download,
      in_octets: String(BigInt(device.in_octets) + BigInt(Math.round((download * 1_000_000 * seconds) / 8))),
      out_octets: String(BigInt(device.out_octets) + BigInt(Math.round((upload * 1_000_000 * seconds) / 8))),
    };
  });
  return { ...state, step: state.step + 1, clock, random: random.state, devices };
}
