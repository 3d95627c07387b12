/**
 * IPv6: fixed header, extension headers (hop-by-hop with the jumbo payload option,
 * routing, fragment — reassembled —, destination options, AH, mobility, shim6) and the
 * upper-layer payload. A payload length of 0 without a jumbo option leaves nothing to
 * dissect, exactly as Wireshark treats it (no TSO guessing).
 */
import { u16, u32 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { decodeIpPayload } from './ip-payload.js';
import { Proto } from './summary.js';
import { layerBytes, layerUint, mapField, type ProtocolFields } from './fields.js';

export const Ipv6Next = {
  HOPOPTS: 0,
  ROUTING: 43,
  FRAGMENT: 44,
  ESP: 50,
  AH: 51,
  NONE: 59,
  DSTOPTS: 60,
  MOBILITY: 135,
  SHIM6: 140,
} as const;

/** Jumbo payload length from a hop-by-hop header at `p`, or 0. */
function jumboLength(b: Uint8Array, p: number, end: number): number {
  if (end - p < 2) return 0;
  const hdrEnd = Math.min(end, p + (b[p + 1]! + 1) * 8);
  let q = p + 2;
  while (q < hdrEnd) {
    const type = b[q]!;
    if (type === 0) {
      q++;
      continue;
    }
    if (q + 1 >= hdrEnd) return 0;
    const len = b[q + 1]!;
    if (type === 0xc2 && len === 4 && q + 6 <= hdrEnd) {
      const v = u32(b, q + 2);
      return v > 0xffff ? v : 0;
    }
    q += 2 + len;
  }
  return 0;
}

/**
 * Whether every option of a hop-by-hop / destination-options header at `[p, hdrEnd)` fits
 * in the packet: Wireshark reads each option's declared length (even past the header's
 * end) and gives up on the packet when that runs past the data.
 */
function optionsFit(b: Uint8Array, p: number, hdrEnd: number, end: number, rep: number): boolean {
  while (p < hdrEnd) {
    if (b[p] === 0) {
      p++;
      continue;
    }
    if (p + 2 > end) return false;
    const next = p + 2 + b[p + 1]!;
    if (next > rep || next > end) return false;
    p = next;
  }
  return true;
}

export function decodeIpv6(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const s = d.s;
  if (end > off && b[off]! >> 4 !== 6) {
    // Wireshark's IPv6 dissector refuses the packet: it is shown as data.
    s.pushLayer(Proto.DATA, b, off, end - off, end, inError);
    return;
  }
  const layer = s.pushLayer(Proto.IPV6, b, off, 40, end, inError);
  if (layer < 0) return;
  if (end - off < 40) {
    s.cutShort('IPv6 header cut short', end, rep);
    return;
  }
  let plen = u16(b, off + 4);
  let nxt = b[off + 6]!;
  if (plen === 0 && nxt === Ipv6Next.HOPOPTS) {
    const jumbo = jumboLength(b, off + 40, end);
    if (jumbo) plen = jumbo;
  }
  if (40 + plen < rep - off) {
    rep = off + 40 + plen;
    if (end > rep) end = rep;
    s.layerEnd[layer] = end;
  }
  if (!s.hasIpv6) {
    s.hasIpv6 = true;
    s.ipv6Buf = b;
    s.ipv6SrcOffset = off + 8;
    s.ipv6DstOffset = off + 24;
  }
  if (s.ipLayer < 0) {
    s.ipLayer = layer;
    s.ipVersion = 6;
    s.ipTtl = b[off + 7]!;
    s.ipTotalLength = 40 + u16(b, off + 4);
  }
  s.addrFamily = 6;
  s.addrBuf = b;
  s.addrSrcOffset = off + 8;
  s.addrDstOffset = off + 24;
  // Bytes of the fragmentable part still to come (Wireshark's frag_plen).
  let fragPlen = u16(b, off + 4);
  let p = off + 40;
  while (true) {
    switch (nxt) {
      case Ipv6Next.HOPOPTS:
      case Ipv6Next.ROUTING:
      case Ipv6Next.DSTOPTS:
      case Ipv6Next.MOBILITY:
      case Ipv6Next.SHIM6:
      case Ipv6Next.AH: {
        const proto = nxt === Ipv6Next.HOPOPTS ? Proto.IPV6_HOPOPTS : nxt === Ipv6Next.ROUTING ? Proto.IPV6_ROUTING : nxt === Ipv6Next.DSTOPTS ? Proto.IPV6_DSTOPTS : Proto.IPV6_EXT;
        if (end - p < 2) {
          s.pushLayer(proto, b, p, 0, end, inError);
          s.cutShort('IPv6 extension header cut short', end, rep);
          return;
        }
        const len = nxt === Ipv6Next.AH ? (b[p + 1]! + 2) * 4 : (b[p + 1]! + 1) * 8;
        if (s.pushLayer(proto, b, p, len, end, inError) < 0) return;
        if (p + len > end) {
          s.cutShort('IPv6 extension header cut short', end, rep);
          return;
        }
        if ((nxt === Ipv6Next.HOPOPTS || nxt === Ipv6Next.DSTOPTS) && !optionsFit(b, p + 2, p + len, end, rep)) {
          s.cutShort('IPv6 option runs past the packet', end, rep);
          return;
        }
        nxt = b[p]!;
        p += len;
        fragPlen -= len;
        continue;
      }
      case Ipv6Next.FRAGMENT: {
        if (s.pushLayer(Proto.IPV6_FRAGMENT, b, p, 8, end, inError) < 0) return;
        if (end - p < 8) {
          s.cutShort('IPv6 fragment header cut short', end, rep);
          return;
        }
        const offlg = u16(b, p + 2);
        const fragOffset = offlg & 0xfff8;
        const more = (offlg & 1) !== 0;
        const ident = u32(b, p + 4);
        const inner = b[p]!;
        p += 8;
        fragPlen -= 8;
        if (s.ipLayer === layer) s.ipId = ident;
        if (fragPlen > 0 && (fragOffset !== 0 || more)) {
          s.ipFragment = true;
          s.ipFragOffset = fragOffset;
          s.ipFragMore = more;
          s.ipFragNext = inner;
          if (!inError && end - p >= fragPlen) {
            const key = `6/${b.subarray(off + 8, off + 40).join(',')}/${ident}`;
            const whole = d.reassembly.add(key, fragOffset, b.subarray(p, p + fragPlen), more);
            if (whole) {
              s.ipFragment = false;
              s.reassembled = true;
              s.ipProto = inner;
              decodeIpPayload(d, inner, whole, 0, whole.length, whole.length, false, false);
              return;
            }
          }
          if (end > p) s.pushLayer(Proto.DATA, b, p, end - p, end, inError);
          return;
        }
        nxt = inner;
        continue;
      }
      default:
        break;
    }
    break;
  }
  s.ipProto = nxt;
  if (nxt === Ipv6Next.NONE) return;
  decodeIpPayload(d, nxt, b, p, end, rep, inError, false);
}

export const IPV6_FIELDS: ProtocolFields = {
  proto: Proto.IPV6,
  fields: [
    { name: 'ipv6.version', type: 'uint', description: 'Version', get: (s, l) => mapField(layerUint(s, l, 0, 1), (v) => v >> 4) },
    { name: 'ipv6.tclass', type: 'uint', description: 'Traffic class', get: (s, l) => mapField(layerUint(s, l, 0, 2), (v) => (v >> 4) & 0xff) },
    { name: 'ipv6.flow', type: 'uint', description: 'Flow label', get: (s, l) => mapField(layerUint(s, l, 0, 4), (v) => v & 0xfffff) },
    { name: 'ipv6.plen', type: 'uint', description: 'Payload length', get: (s, l) => layerUint(s, l, 4, 2) },
    { name: 'ipv6.nxt', type: 'uint', description: 'Next header', get: (s, l) => layerUint(s, l, 6, 1) },
    { name: 'ipv6.hlim', type: 'uint', description: 'Hop limit', get: (s, l) => layerUint(s, l, 7, 1) },
    { name: 'ipv6.src', type: 'ipv6', description: 'Source address', get: (s, l) => layerBytes(s, l, 8, 16) },
    { name: 'ipv6.dst', type: 'ipv6', description: 'Destination address', get: (s, l) => layerBytes(s, l, 24, 16) },
    {
      name: 'ipv6.addr',
      type: 'ipv6',
      description: 'Source or destination address',
      get: (s, l) => [layerBytes(s, l, 8, 16), layerBytes(s, l, 24, 16)].filter((x): x is Uint8Array => x !== undefined),
    },
  ],
};

export const IPV6_FRAGMENT_FIELDS: ProtocolFields = {
  proto: Proto.IPV6_FRAGMENT,
  fields: [
    { name: 'ipv6.fragment.offset', type: 'uint', description: 'Fragment offset in bytes', get: (s, l) => mapField(layerUint(s, l, 2, 2), (v) => v & 0xfff8) },
    { name: 'ipv6.fragment.more', type: 'bool', description: 'More fragments', get: (s, l) => mapField(layerUint(s, l, 2, 2), (v) => v & 1) === 1 },
    { name: 'ipv6.fragment.id', type: 'uint', description: 'Identification', get: (s, l) => layerUint(s, l, 4, 4) },
  ],
};

export const IPV6_HOPOPTS_FIELDS: ProtocolFields = {
  proto: Proto.IPV6_HOPOPTS,
  fields: [
    { name: 'ipv6.hopopts.nxt', type: 'uint', description: 'Next header', get: (s, l) => layerUint(s, l, 0, 1) },
    { name: 'ipv6.hopopts.len', type: 'uint', description: 'Length in 8-octet units, not counting the first', get: (s, l) => layerUint(s, l, 1, 1) },
    {
      name: 'ipv6.opt.jumbo',
      type: 'uint',
      description: 'Jumbo payload length',
      get: (s, l) => {
        const b = s.layerBuf[l]!;
        return jumboLength(b, s.layerOffset[l]!, s.layerEnd[l]!) || undefined;
      },
    },
  ],
};

export const IPV6_ROUTING_FIELDS: ProtocolFields = {
  proto: Proto.IPV6_ROUTING,
  fields: [
    { name: 'ipv6.routing.nxt', type: 'uint', description: 'Next header', get: (s, l) => layerUint(s, l, 0, 1) },
    { name: 'ipv6.routing.type', type: 'uint', description: 'Routing type', get: (s, l) => layerUint(s, l, 2, 1) },
    { name: 'ipv6.routing.segleft', type: 'uint', description: 'Segments left', get: (s, l) => layerUint(s, l, 3, 1) },
  ],
};

export const IPV6_DSTOPTS_FIELDS: ProtocolFields = {
  proto: Proto.IPV6_DSTOPTS,
  fields: [{ name: 'ipv6.dstopts.nxt', type: 'uint', description: 'Next header', get: (s, l) => layerUint(s, l, 0, 1) }],
};
