/**
 * Link-layer header types (LINKTYPE_* values of tcpdump.org, as stored in pcap file
 * headers and pcapng interface blocks). Only the ones tracewire dissects are named
 * here; others are carried through untouched and shown as their number.
 */

export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'NULL (BSD loopback)',
  1: 'ETHERNET',
  12: 'RAW (OpenBSD DLT 12)',
  14: 'RAW (DLT 14)',
  101: 'RAW',
  108: 'LOOP (OpenBSD loopback)',
  113: 'LINUX_SLL',
  228: 'IPV4',
  229: 'IPV6',
  276: 'LINUX_SLL2',
};

/** A readable name for a link type, e.g. `ETHERNET` or `LINKTYPE 147`. */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `LINKTYPE ${linkType}`;
}

/** Parses a link-type name or number given on a command line (`ethernet`, `113`). */
export function parseLinkType(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const key = text.toUpperCase().replace(/[^A-Z0-9]/g, '_');
  const v = (LinkType as Record<string, number>)[key];
  return v;
}
