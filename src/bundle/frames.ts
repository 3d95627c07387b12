/**
 * Loads a capture's frames into flat `DatasetFrame` records: addresses, ports, TCP
 * header and analysis, and — what correlation needs beyond Wireshark's view — the
 * device each frame crossed, its direction, and its length from the network header on
 * (the length the kernel's receive events report).
 *
 * Linux cooked captures (`tcpdump -i any`) say per frame which device (SLL2 ifindex) and
 * which way (packet type 4 = outgoing); the bundle's namespace table turns the ifindex
 * into the device name the kernel events use.
 */
import { FormatError } from '../base/errors.js';
import { LinkType, type Capture } from '../pcap/index.js';
import { Proto, TcpStage } from '../dissect/summary.js';
import { tcpFlagNames } from '../dissect/tcp.js';
import { PacketStream, TcpAnalyzer, analysisNames } from '../analysis/tcp/index.js';
import type { BundleJson, BundleNetns } from '../record/bundle.js';
import type { DatasetCaptureInterface, DatasetFrame, DatasetTcp } from './types.js';

const ARPHRD_LOOPBACK = 772;
const PACKET_OUTGOING = 4;

/** Link header facts read from the first bytes of a frame. */
interface LinkFacts {
  headerLength: number;
  ifindex: number;
  hatype: number;
  /** Linux packet type (0 host, 1 broadcast, 2 multicast, 3 other host, 4 outgoing), -1 unknown. */
  pktType: number;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Header length and cooked-header facts of a frame of `linkType`. */
export function linkFacts(linkType: number, b: Uint8Array): LinkFacts {
  switch (linkType) {
    case LinkType.LINUX_SLL:
      return { headerLength: 16, ifindex: -1, hatype: b.length >= 4 ? u16(b, 2) : -1, pktType: b.length >= 2 ? u16(b, 0) : -1 };
    case LinkType.LINUX_SLL2:
      return {
        headerLength: 20,
        ifindex: b.length >= 8 ? ((b[4]! << 24) | (b[5]! << 16) | (b[6]! << 8) | b[7]!) >>> 0 : -1,
        hatype: b.length >= 10 ? u16(b, 8) : -1,
        pktType: b.length >= 11 ? b[10]! : -1,
      };
    case LinkType.ETHERNET: {
      let h = 14;
      // 802.1Q / 802.1ad tags.
      while (b.length >= h + 4 && (u16(b, h - 2) === 0x8100 || u16(b, h - 2) === 0x88a8)) h += 4;
      return { headerLength: h, ifindex: -1, hatype: 1, pktType: -1 };
    }
    case LinkType.NULL:
    case LinkType.LOOP:
      return { headerLength: 4, ifindex: -1, hatype: ARPHRD_LOOPBACK, pktType: -1 };
    default:
      return { headerLength: 0, ifindex: -1, hatype: -1, pktType: -1 };
  }
}

/** Describes each capture interface: the bundle's table when there is one, else its if_name. */
export function describeInterfaces(capture: Capture, bundle: BundleJson | null): DatasetCaptureInterface[] {
  return capture.interfaces.map((i) => {
    const fromBundle = bundle?.capture.interfaces.find((c) => c.id === i.id);
    if (fromBundle) return { id: i.id, name: i.name ?? fromBundle.pcapngName, linkType: i.linkType, netns: fromBundle.netns, device: fromBundle.device };
    // tracewire writes `device@netns`; other tools write the device alone.
    const name = i.name ?? null;
    const at = name ? name.lastIndexOf('@') : -1;
    if (name && at > 0) return { id: i.id, name, linkType: i.linkType, netns: name.slice(at + 1), device: name.slice(0, at) };
    return { id: i.id, name, linkType: i.linkType, netns: null, device: name };
  });
}

function deviceName(netns: readonly BundleNetns[], nsName: string | null, ifindex: number): string | null {
  if (ifindex < 0) return null;
  const ns = netns.find((n) => n.name === nsName);
  return ns?.interfaces.find((i) => i.ifindex === ifindex)?.name ?? null;
}

/** Local addresses (without prefix) of each namespace, for telling direction on Ethernet captures. */
function localAddresses(netns: readonly BundleNetns[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const ns of netns) out.set(ns.name, new Set(ns.interfaces.flatMap((i) => i.addresses.map((a) => a.replace(/\/\d+$/, '')))));
  return out;
}

/**
 * Reads every frame of `capture` (consumes it). `offsetNs` converts capture time to trace
 * time (trace = pcap − offset), then `synced` (if any) moves it onto a synchronised clock
 * like the trace's events (`--sync`). A damaged file keeps every frame before the damage and
 * reports it in `damage` (the FormatError's message) instead of throwing.
 */
export function loadFrames(capture: Capture, interfaces: readonly DatasetCaptureInterface[], netns: readonly BundleNetns[], offsetNs: bigint, synced: ((ns: bigint) => bigint) | null = null): { frames: DatasetFrame[]; damage: string | null } {
  const frames: DatasetFrame[] = [];
  try {
    readFrames(capture, interfaces, netns, offsetNs, synced, frames);
  } catch (err) {
    if (!(err instanceof FormatError)) throw err;
    return { frames, damage: err.message };
  }
  return { frames, damage: null };
}

/**
 * One shared copy of each recurring text or list (addresses, flag names, expert-analysis
 * names): a capture of a hundred thousand frames holds a handful of distinct ones.
 */
class Interned {
  private readonly strings = new Map<string, string>();
  private readonly flags = new Map<number, string>();
  private readonly analyses = new Map<number, readonly string[]>();

  text(s: string | null): string | null {
    if (s === null) return null;
    let v = this.strings.get(s);
    if (v === undefined) this.strings.set(s, (v = s));
    return v;
  }

  flagText(flags: number): string {
    let v = this.flags.get(flags);
    if (v === undefined) this.flags.set(flags, (v = tcpFlagNames(flags).replace(/, /g, ',')));
    return v;
  }

  analysis(expert: number): readonly string[] {
    let v = this.analyses.get(expert);
    if (v === undefined) this.analyses.set(expert, (v = Object.freeze(analysisNames(expert))));
    return v;
  }
}

function readFrames(capture: Capture, interfaces: readonly DatasetCaptureInterface[], netns: readonly BundleNetns[], offsetNs: bigint, synced: ((ns: bigint) => bigint) | null, frames: DatasetFrame[]): void {
  const stream = new PacketStream(capture, { udp: false });
  const interned = new Interned();
  const vantage = new Map<string, TcpAnalyzer>();
  const locals = localAddresses(netns);
  for (const p of stream.packets()) {
    const f = p.frame;
    const s = p.summary;
    const iface = interfaces[f.interfaceId];
    const link = linkFacts(p.iface.linkType, f.data);
    const device = deviceName(netns, iface?.netns ?? null, link.ifindex) ?? (iface?.device && iface.device !== 'any' ? iface.device : null);
    const src = interned.text(s.srcAddress);
    const dst = interned.text(s.dstAddress);
    let direction: 'out' | 'in' | null = null;
    if (link.pktType >= 0) direction = link.pktType === PACKET_OUTGOING ? 'out' : 'in';
    else if (iface?.netns && src && dst) {
      const mine = locals.get(iface.netns);
      if (mine?.has(src) && !mine.has(dst)) direction = 'out';
      else if (mine?.has(dst) && !mine.has(src)) direction = 'in';
    }
    const network = s.ipVersion === 4 ? 'ip' : s.ipVersion === 6 ? 'ipv6' : s.findLayer(Proto.ARP) >= 0 ? 'arp' : 'other';
    const transport = s.transport === Proto.TCP ? 'tcp' : s.transport === Proto.UDP ? 'udp' : s.transport === Proto.ICMP ? 'icmp' : s.transport === Proto.ICMPV6 ? 'icmpv6' : 'other';
    let tcp: DatasetTcp | null = null;
    if (s.transport === Proto.TCP && s.tcpStage >= TcpStage.HEADER && !s.inError) {
      // Per vantage point: the same packet captured at both ends of a veth pair, or both
      // copies on loopback, must not look like a retransmission of itself.
      const key = `${f.interfaceId}/${device ?? ''}/${link.hatype === ARPHRD_LOOPBACK ? direction : ''}`;
      let analyzer = vantage.get(key);
      if (!analyzer) vantage.set(key, (analyzer = new TcpAnalyzer()));
      const v = analyzer.analyze(f, s);
      const g = p.tcp;
      tcp = {
        flags: s.tcpFlags,
        flagText: interned.flagText(s.tcpFlags),
        seqRaw: s.tcpSeq >>> 0,
        ackRaw: s.tcpAck >>> 0,
        seq: g.seq,
        ack: g.ack,
        payload: g.payloadLength,
        window: g.window,
        stream: g.stream,
        expert: v.analysed ? v.expert : 0,
        analysis: interned.analysis(v.analysed ? v.expert : 0),
      };
    }
    const pcapTs = f.ts;
    frames.push({
      number: f.number,
      pcapTs,
      // one bigint for both when the clocks agree (a bundle's usual case)
      ts: synced !== null ? synced(pcapTs - offsetNs) : offsetNs === 0n ? pcapTs : pcapTs - offsetNs,
      interfaceId: f.interfaceId,
      netns: iface?.netns ?? null,
      device,
      hatype: link.hatype,
      direction,
      len: f.len,
      l3Len: link.headerLength <= f.len && network !== 'other' ? f.len - link.headerLength : -1,
      network,
      transport,
      src,
      dst,
      sport: s.srcPort,
      dport: s.dstPort,
      tcp,
    });
  }
}
