/** A MAC address as clients send it: six octets separated by ':' or '-', any case. */
const MAC = /^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$/i;

/** The canonical form (lowercase, ':'), or undefined when the text is not a MAC address. */
export function normalizeMac(text: string): string | undefined {
  if (!MAC.test(text)) return undefined;
  return text.toLowerCase().replace(/-/g, ':');
}

/** A unicast, non-zero MAC: one that names a device rather than a group or nobody. */
export function isDeviceMac(mac: string): boolean {
  const firstOctet = Number.parseInt(mac.slice(0, 2), 16);
  return (firstOctet & 1) === 0 && mac !== '00:00:00:00:00:00';
}
