/**
 * IPv4: header, options (loose/strict source routes decide the final destination, as in
 * Wireshark), total length (trims Ethernet padding), fragments (reassembled; the
 * datagram is dissected in the frame that completes it).
 */
import { u16, u32 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { decodeIpPayload } from './ip-payload.js';
import { decodeIpv6 } from './ipv6.js';
import { Proto } from './summary.js';
import { layerBytes, layerUint, mapField, type ProtocolFields } from './fields.js';

export const IpOption = { EOOL: 0, NOP: 1, LSR: 131, SSR: 137 } as const;

/**
 * Offset (relative to the fixed header's destination field) of the real destination when
 * a source-route option is present and not exhausted; 0 otherwise.
 */
function sourceRouteDestination(b: Uint8Array, p: number, length: number): number {
  const start = p;
  while (length > 0) {
    const opt = b[p]!;
    length--;
    if (opt !== IpOption.EOOL && opt !== IpOption.NOP) {
      if (length === 0) return 0;
      const len = b[p + 1]!;
      length--;
      if (len < 2 || len - 2 > length) return 0;
      if (opt === IpOption.SSR || opt === IpOption.LSR) {
        const ptr = b[p + 2]!;
        if (ptr < 4 || ptr & 3 || ptr > len) return 0;
        return p - start + 4 + (len - 4);
      }
      p += len;
      length -= len - 2;
    } else {
      p += 1;
    }
    if (opt === IpOption.EOOL) return 0;
  }
  return 0;
}

/**
 * Decodes an IPv4 header at `b[off]`. `end` is the captured end and `rep` the reported
 * end of the enclosing layer; `inError` is set inside an ICMP error.
 */
export function decodeIpv4(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const s = d.s;
  const cap = end - off;
  if (cap < 1) {
    s.cutShort('IPv4 header cut short', end, rep);
    return;
  }
  const version = b[off]! >> 4;
  if (version !== 4) {
    // A cooked capture may label an IPv6 packet as IPv4; Wireshark follows the version.
    if (version === 6) decodeIpv6(d, b, off, end, rep, inError);
    else {
      s.pushLayer(Proto.IPV4, b, off, 0, end, inError);
      s.markMalformed(`bogus IPv4 version ${version}`);
    }
    return;
  }
  const hlen = (b[off]! & 0x0f) * 4;
  const layer = s.pushLayer(Proto.IPV4, b, off, hlen, end, inError);
  if (layer < 0) return;
  if (hlen < 20) {
    s.markMalformed(`bogus IPv4 header length ${hlen}`, `Bogus IP header length (${hlen}, must be at least 20)`);
    return;
  }
  if (cap < 20) {
    s.cutShort('IPv4 header cut short', end, rep);
    return;
  }
  // The length field as the defragmenter sees it (Wireshark never clamps it).
  let ipLen = u16(b, off + 2);
  if (ipLen < hlen) {
    if (ipLen !== 0) {
      s.markMalformed(`bogus IPv4 total length ${ipLen}`, `Bogus IP length (${ipLen}, less than header length ${hlen})`);
      return;
    }
    // Zero: TCP segmentation offload left the field empty; use the frame's length (as Wireshark does).
    ipLen = rep - off;
  }
  const totalLength = Math.min(ipLen, rep - off);
  if (ipLen <= rep - off) {
    rep = off + ipLen;
    if (end > rep) end = rep;
    s.layerEnd[layer] = end;
  }
  const id = u16(b, off + 4);
  const fragWord = u16(b, off + 6);
  const proto = b[off + 9]!;
  const src = u32(b, off + 12);
  let dstOff = 0;
  if (hlen > 20) {
    if (cap >= hlen) dstOff = sourceRouteDestination(b, off + 20, hlen - 20);
    else s.cutShort('IPv4 options cut short', end, rep);
  }
  const dst = u32(b, off + 16 + dstOff);
  if (!s.hasIpv4) {
    s.hasIpv4 = true;
    s.ipv4Src = src;
    s.ipv4Dst = dst;
  }
  if (s.ipLayer < 0) {
    s.ipLayer = layer;
    s.ipVersion = 4;
    s.ipId = id;
    s.ipTtl = b[off + 8]!;
    s.ipTotalLength = totalLength;
  }
  s.ipProto = proto;
  s.addrFamily = 4;
  s.addrBuf = b;
  s.addrSrcOffset = off + 12;
  s.addrDstOffset = off + 16 + dstOff;

  const payload = off + hlen;
  const moreFragments = (fragWord & 0x2000) !== 0;
  const fragOffset = (fragWord & 0x1fff) * 8;
  const payloadLength = rep - payload;
  if (moreFragments || fragOffset) {
    s.ipFragment = true;
    s.ipFragOffset = fragOffset;
    s.ipFragMore = moreFragments;
    s.ipFragNext = proto;
    if (!inError && ipLen > hlen && end - payload >= ipLen - hlen) {
      const key = `4/${src}/${dst}/${id}/${proto}/${s.vlanId}`;
      const whole = d.reassembly.add(key, fragOffset, b.subarray(payload, payload + ipLen - hlen), moreFragments);
      if (whole) {
        s.ipFragment = false;
        s.reassembled = true;
        decodeIpPayload(d, proto, whole, 0, whole.length, whole.length, false, false);
        return;
      }
      s.pushLayer(Proto.DATA, b, payload, end - payload, end, inError);
      return;
    }
    if (fragOffset) {
      s.pushLayer(Proto.DATA, b, payload, Math.max(0, end - payload), end, inError);
      return;
    }
    // First fragment that cannot be reassembled (cut by the snap length): dissect what is here.
    if (payloadLength > 0) decodeIpPayload(d, proto, b, payload, end, rep, inError, true);
    return;
  }
  if (payloadLength > 0) decodeIpPayload(d, proto, b, payload, end, rep, inError, false);
}

const ipAddr = (s: Parameters<typeof layerUint>[0], l: number, rel: number): number | undefined => layerUint(s, l, rel, 4);

/** Destination: the last hop of an unexhausted source route, as Wireshark reports it. */
function ipDst(s: Parameters<typeof layerUint>[0], l: number): number | undefined {
  const hlen = s.layerLength[l]!;
  const b = s.layerBuf[l]!;
  const o = s.layerOffset[l]!;
  const dstOff = hlen > 20 && o + hlen <= s.layerEnd[l]! ? sourceRouteDestination(b, o + 20, hlen - 20) : 0;
  return ipAddr(s, l, 16 + dstOff);
}

export const IPV4_FIELDS: ProtocolFields = {
  proto: Proto.IPV4,
  fields: [
    { name: 'ip.version', type: 'uint', description: 'Version', get: (s, l) => (s.layerBuf[l]![s.layerOffset[l]!]! >> 4) },
    { name: 'ip.hdr_len', type: 'uint', description: 'Header length in bytes', get: (s, l) => s.layerLength[l] },
    { name: 'ip.dsfield', type: 'uint', description: 'Differentiated services field', get: (s, l) => layerUint(s, l, 1, 1) },
    { name: 'ip.dsfield.dscp', type: 'uint', description: 'DSCP', get: (s, l) => mapField(layerUint(s, l, 1, 1), (v) => v >> 2) },
    { name: 'ip.dsfield.ecn', type: 'uint', description: 'ECN', get: (s, l) => mapField(layerUint(s, l, 1, 1), (v) => v & 3) },
    { name: 'ip.len', type: 'uint', description: 'Total length', get: (s, l) => layerUint(s, l, 2, 2) },
    { name: 'ip.id', type: 'uint', description: 'Identification', get: (s, l) => layerUint(s, l, 4, 2) },
    { name: 'ip.flags', type: 'uint', description: 'Flags (3 bits)', get: (s, l) => mapField(layerUint(s, l, 6, 2), (v) => v >> 13) },
    { name: 'ip.flags.rb', type: 'bool', description: 'Reserved bit', get: (s, l) => mapField(layerUint(s, l, 6, 2), (v) => (v & 0x8000) !== 0) },
    { name: 'ip.flags.df', type: 'bool', description: "Don't fragment", get: (s, l) => mapField(layerUint(s, l, 6, 2), (v) => (v & 0x4000) !== 0) },
    { name: 'ip.flags.mf', type: 'bool', description: 'More fragments', get: (s, l) => mapField(layerUint(s, l, 6, 2), (v) => (v & 0x2000) !== 0) },
    { name: 'ip.frag_offset', type: 'uint', description: 'Fragment offset in bytes', get: (s, l) => mapField(layerUint(s, l, 6, 2), (v) => (v & 0x1fff) * 8) },
    { name: 'ip.ttl', type: 'uint', description: 'Time to live', get: (s, l) => layerUint(s, l, 8, 1) },
    { name: 'ip.proto', type: 'uint', description: 'Protocol', get: (s, l) => layerUint(s, l, 9, 1) },
    { name: 'ip.checksum', type: 'uint', description: 'Header checksum', get: (s, l) => layerUint(s, l, 10, 2) },
    { name: 'ip.src', type: 'ipv4', description: 'Source address', get: (s, l) => ipAddr(s, l, 12) },
    { name: 'ip.dst', type: 'ipv4', description: 'Destination address (final hop of a source route)', get: (s, l) => ipDst(s, l) },
    {
      name: 'ip.addr',
      type: 'ipv4',
      description: 'Source or destination address',
      get: (s, l) => [ipAddr(s, l, 12), ipDst(s, l)].filter((x): x is number => x !== undefined),
    },
    {
      name: 'ip.opt.type',
      type: 'uint',
      description: 'Option types present',
      get: (s, l) => {
        const hlen = s.layerLength[l]!;
        const opts = layerBytes(s, l, 20, Math.max(0, hlen - 20));
        if (!opts || opts.length === 0) return undefined;
        const out: number[] = [];
        for (let p = 0; p < opts.length; ) {
          const t = opts[p]!;
          out.push(t);
          if (t === 0) break;
          if (t === 1) p++;
          else {
            const len = opts[p + 1] ?? 0;
            if (len < 2) break;
            p += len;
          }
        }
        return out;
      },
    },
  ],
};
