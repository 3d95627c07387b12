/**
 * The frame dissector: link layer → IP (with reassembly) → TCP/UDP/ICMP, into a
 * `PacketSummary`. A `Dissector` keeps the only cross-frame state dissection needs (IP
 * fragments waiting for reassembly), so use one per capture, in frame order.
 */
import { LinkType } from '../pcap/link-types.js';
import { decodeEthernet, decodeNull, decodeRaw, decodeSll, decodeSll2 } from './link.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { Reassembler } from './reassembly.js';
import { PacketSummary } from './summary.js';

/**
 * The parts of a captured frame dissection needs (a `CapturedFrame` fits): its bytes as
 * `data`, or — read without making a view — as `buffer` from `offset` for `caplen` bytes.
 */
export interface FrameBytes {
  readonly data: Uint8Array;
  /** Wire length; defaults to the captured length. */
  readonly len?: number;
  readonly buffer?: Uint8Array;
  readonly offset?: number;
  readonly caplen?: number;
}

export class Dissector {
  /** The summary of the frame decoded last (reused: copy what you keep). */
  s = new PacketSummary();
  readonly reassembly = new Reassembler();

  /**
   * Dissects one frame into `out` (default: the dissector's own reused summary) and
   * returns it. Never throws on damaged packets: problems are in `out.malformed`.
   */
  decode(frame: FrameBytes, linkType: number, out: PacketSummary = this.s): PacketSummary {
    const saved = this.s;
    this.s = out;
    try {
      out.reset(linkType);
      let b: Uint8Array, off: number, caplen: number;
      if (frame.buffer !== undefined) {
        b = frame.buffer;
        off = frame.offset ?? 0;
        caplen = frame.caplen ?? b.length - off;
      } else {
        b = frame.data;
        off = 0;
        caplen = b.length;
      }
      const end = off + caplen;
      const rep = off + Math.max(frame.len ?? caplen, caplen);
      switch (linkType) {
        case LinkType.ETHERNET:
          decodeEthernet(this, b, off, end, rep);
          break;
        case LinkType.LINUX_SLL:
          decodeSll(this, b, off, end, rep);
          break;
        case LinkType.LINUX_SLL2:
          decodeSll2(this, b, off, end, rep);
          break;
        case LinkType.NULL:
          decodeNull(this, b, off, end, rep, false);
          break;
        case LinkType.LOOP:
          decodeNull(this, b, off, end, rep, true);
          break;
        case LinkType.RAW:
        case 12:
        case 14:
          decodeRaw(this, b, off, end, rep);
          break;
        case LinkType.IPV4:
          decodeIpv4(this, b, off, end, rep, false);
          break;
        case LinkType.IPV6:
          decodeIpv6(this, b, off, end, rep, false);
          break;
        default:
          break;
      }
    } finally {
      this.s = saved;
    }
    return out;
  }
}
