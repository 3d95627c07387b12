/**
 * DNS messages (RFC 1035) as tshark's one-line summary shows them: the Protocol column
 * says `DNS`, the Info column the operation, the ID, the error of a response, then every
 * record — questions as `TYPE name`, answer/authority/additional records as `TYPE data`
 * (`Standard query response 0x4319 A www.tcpdump.org A 192.139.46.66 NS nic.x OPT`).
 * On UDP port 53, and on TCP port 53 when one segment holds exactly one message behind
 * its 2-byte length (what tshark shows without reassembling segments); multicast DNS
 * (UDP 5353: `MDNS`, with its "QU"/"QM" questions and cache-flush records) and LLMNR
 * (UDP 5355) read the same way.
 *
 * A damaged message is summarised up to its last whole record and marked
 * `[Malformed Packet]`, as tshark marks it. Names with bytes tshark would escape are not
 * attempted (the TCP/UDP line stays).
 */
import { formatIpAt, u16, u32 } from './bytes.js';

const OPCODES: Record<number, string> = { 0: 'Standard query', 1: 'Inverse query', 2: 'Server status request', 4: 'Zone change notification', 5: 'Dynamic update', 6: 'DNS Stateful operations (DSO)' };

const RCODES: Record<number, string> = {
  1: 'Format error',
  2: 'Server failure',
  3: 'No such name',
  4: 'Not implemented',
  5: 'Refused',
  6: 'Name exists',
  7: 'RRset exists',
  8: 'RRset does not exist',
  9: 'Not authoritative',
  10: 'Name out of zone',
  11: 'DSO-Type not implemented',
};

const TYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL', 11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT',
  17: 'RP', 18: 'AFSDB', 19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX', 27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT',
  31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA', 35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL', 43: 'DS', 44: 'SSHFP',
  45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID', 50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 59: 'CDS', 60: 'CDNSKEY',
  61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB', 65: 'HTTPS', 99: 'SPF', 249: 'TKEY', 250: 'TSIG', 251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA',
  255: 'ANY', 256: 'URI', 257: 'CAA',
};

/** The protocols of this format, by their UDP port (tshark's Protocol column names them). */
export const DNS_FAMILY_PORTS: ReadonlyMap<number, 'DNS' | 'MDNS' | 'LLMNR'> = new Map([
  [53, 'DNS'],
  [5353, 'MDNS'],
  [5355, 'LLMNR'],
]);
export const DNS_PORT = 53;
/** A message's fixed header: ID, flags and the four record counts. */
export const DNS_HEADER_BYTES = 12;

/** What the Info column shows of a message that ends early or is damaged. */
const MALFORMED = '[Malformed Packet]';

/**
 * The Info text of the DNS message in b[start, end); ends with `[Malformed Packet]` when
 * the message is damaged; null when a name holds bytes tshark would escape.
 */
export function dnsInfo(b: Uint8Array, start: number, end: number, multicast = false): string | null {
  const text = records(b, start, end, multicast);
  return text === null ? null : text.ok ? text.info : text.info + MALFORMED;
}

/** Values of the message for display filters, under Wireshark's `dns.*` names. */
export interface DnsFieldValues {
  id: number;
  response: boolean;
  opcode: number;
  rcode: number;
  counts: readonly number[];
  readonly qryName: string[];
  readonly qryType: number[];
  readonly respName: string[];
  readonly respType: number[];
  /** IPv4 addresses as 32-bit numbers (the filter's ipv4 representation). */
  readonly a: number[];
  readonly aaaa: Uint8Array[];
  readonly cname: string[];
}

/** The filter values of the message in b[start, end) (what is whole of it), or null without a header. */
export function dnsFieldValues(b: Uint8Array, start: number, end: number): DnsFieldValues | null {
  if (end - start < DNS_HEADER_BYTES) return null;
  const out: DnsFieldValues = { id: 0, response: false, opcode: 0, rcode: 0, counts: [], qryName: [], qryType: [], respName: [], respType: [], a: [], aaaa: [], cname: [] };
  records(b, start, end, false, out);
  return out;
}

/** The Info text up to the last whole record, and whether the message was whole (and, given `fields`, its filter values). */
function records(b: Uint8Array, start: number, end: number, multicast: boolean, fields?: DnsFieldValues): { info: string; ok: boolean } | null {
  if (end - start < DNS_HEADER_BYTES) return { info: '', ok: false };
  const id = u16(b, start);
  const flags = u16(b, start + 2);
  const counts = [u16(b, start + 4), u16(b, start + 6), u16(b, start + 8), u16(b, start + 10)];
  const opcode = (flags >> 11) & 0xf;
  const response = (flags & 0x8000) !== 0;
  let info = `${OPCODES[opcode] ?? `Unknown operation (${opcode})`}${response ? ' response' : ''} 0x${id.toString(16).padStart(4, '0')}`;
  const rcode = flags & 0xf;
  if (response && rcode !== 0) info += ` ${RCODES[rcode] ?? `Unknown error (${rcode})`}`;
  if (fields) Object.assign(fields, { id, response, opcode, rcode, counts });
  let p = start + DNS_HEADER_BYTES;
  for (let i = 0; i < counts[0]!; i++) {
    const name = readName(b, start, end, p);
    if (name === ESCAPED) return null;
    if (name === null || name.next + 4 > end) return { info, ok: false };
    info += ` ${typeName(u16(b, name.next))} ${name.text}`;
    fields?.qryName.push(name.text);
    fields?.qryType.push(u16(b, name.next));
    // mDNS: the class's top bit asks for a unicast answer
    if (multicast) info += `, "${u16(b, name.next + 2) & 0x8000 ? 'QU' : 'QM'}" question`;
    p = name.next + 4;
  }
  const rrCount = counts[1]! + counts[2]! + counts[3]!;
  for (let i = 0; i < rrCount; i++) {
    const name = readName(b, start, end, p);
    if (name === ESCAPED) return null;
    if (name === null || name.next + 10 > end) return { info, ok: false };
    const type = u16(b, name.next);
    const rdStart = name.next + 10;
    const rdEnd = rdStart + u16(b, name.next + 8);
    if (rdEnd > end) return { info, ok: false };
    const data = recordData(b, start, end, type, rdStart, rdEnd);
    if (data === ESCAPED) return null;
    if (data === null) return { info, ok: false };
    if (fields) {
      fields.respName.push(name.text);
      fields.respType.push(type);
      if (type === 1) fields.a.push(u32(b, rdStart));
      else if (type === 28) fields.aaaa.push(b.subarray(rdStart, rdEnd));
      else if (type === 5) fields.cname.push(data.slice(1));
    }
    // mDNS: the class's top bit tells caches to drop older records of the name
    info += ` ${typeName(type)}${multicast && u16(b, name.next + 2) & 0x8000 ? ', cache flush' : ''}${data}`;
    p = rdEnd;
  }
  return { info, ok: true };
}

/** A name with a byte tshark would escape: not summarised at all. */
const ESCAPED = 'escaped';

function typeName(type: number): string {
  return TYPES[type] ?? `Unknown (${type})`;
}

/** What the Info column shows of a record's data (with a leading space), or null when damaged. */
function recordData(b: Uint8Array, msg: number, end: number, type: number, p: number, rdEnd: number): string | null | typeof ESCAPED {
  const n = rdEnd - p;
  switch (type) {
    case 1:
      return n === 4 ? ` ${formatIpAt(4, b, p)}` : null;
    case 28:
      return n === 16 ? ` ${formatIpAt(6, b, p)}` : null;
    case 2:
    case 5:
    case 12:
    case 39:
    case 6: {
      // NS, CNAME, PTR, DNAME: the name; SOA: the primary name server
      const name = readName(b, msg, end, p);
      if (name === ESCAPED) return name;
      return name === null || name.next > rdEnd ? null : ` ${name.text}`;
    }
    case 15: {
      if (n < 3) return null;
      const name = readName(b, msg, end, p + 2);
      if (name === ESCAPED) return name;
      return name === null || name.next > rdEnd ? null : ` ${u16(b, p)} ${name.text}`;
    }
    case 33: {
      if (n < 7) return null;
      const name = readName(b, msg, end, p + 6);
      if (name === ESCAPED) return name;
      return name === null || name.next > rdEnd ? null : ` ${u16(b, p)} ${u16(b, p + 2)} ${u16(b, p + 4)} ${name.text}`;
    }
    default:
      return '';
  }
}

/**
 * The domain name at `p` (following compression pointers within the message at `msg`):
 * its text (`<Root>` for the root; tshark's words for a loop of pointers) and where the
 * bytes after it start; null when damaged, ESCAPED when it holds a byte tshark would escape.
 */
function readName(b: Uint8Array, msg: number, end: number, p: number): { text: string; next: number } | null | typeof ESCAPED {
  let text = '';
  let next = -1;
  let hops = 0;
  for (;;) {
    if (p >= end) return null;
    const len = b[p]!;
    if (len === 0) {
      if (next < 0) next = p + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (p + 1 >= end) return null;
      if (next < 0) next = p + 2;
      // as tshark: pointers followed for as many bytes as the message has mean a loop
      if (++hops * 2 >= end - msg) return { text: '<Name contains a pointer that loops>', next };
      p = msg + (((len & 0x3f) << 8) | b[p + 1]!);
      continue;
    }
    if ((len & 0xc0) !== 0 || p + 1 + len > end) return null;
    if (text) text += '.';
    for (let i = p + 1; i <= p + len; i++) {
      const c = b[i]!;
      if (c <= 0x20 || c >= 0x7f || c === 0x2e || c === 0x5c) return ESCAPED;
      text += String.fromCharCode(c);
    }
    if (text.length > 255) return null;
    p += 1 + len;
  }
  return { text: text || '<Root>', next };
}
