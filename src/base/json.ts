/**
 * JSON output in the convention of the project's reference tools (ctf-oracle,
 * pcap-oracle): integers whose magnitude exceeds 2^53 are written as decimal strings,
 * everything else as plain JSON. Compact separators, one record per line.
 */

const SAFE = 2n ** 53n;

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value >= -SAFE && value <= SAFE ? Number(value) : value.toString();
  return value;
}

/** `JSON.stringify` that accepts bigints (see module comment). */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, replacer, indent);
}
