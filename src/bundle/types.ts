/**
 * A dataset: everything tracewire knows about one recording window, whatever it was
 * opened from — a tracewire bundle (kernel trace + capture + bundle.json), a kernel trace
 * alone (an LTTng session), a capture alone, or a trace plus a capture. All times are on
 * the kernel trace's clock (bigint ns from its origin); frames carry both their own pcap
 * time and their time on the trace clock.
 */
import type { TraceCollection } from '../ctf/index.js';
import type { BundleJson, BundleNetns } from '../record/bundle.js';

/** Where a capture interface captured: its network namespace and device. */
export interface DatasetCaptureInterface {
  /** pcapng interface id. */
  readonly id: number;
  /** pcapng if_name (e.g. `any@tw-srv`, `eth0`), or null. */
  readonly name: string | null;
  readonly linkType: number;
  /** Namespace name (`host`, a /run/netns name) when known. */
  readonly netns: string | null;
  /** Capture device (`any` for all devices of the namespace), when known. */
  readonly device: string | null;
}

/** What the capture says about one frame, flattened for correlation and stories. */
export interface DatasetFrame {
  /** 1-based frame number (Wireshark's). */
  readonly number: number;
  /** Capture timestamp (ns since the Unix epoch, the capture's own clock). */
  readonly pcapTs: bigint;
  /** The same instant on the kernel trace clock (pcapTs − dataset.pcapToTraceOffsetNs). */
  readonly ts: bigint;
  readonly interfaceId: number;
  /** Namespace of the capture interface, when known. */
  readonly netns: string | null;
  /**
   * Device the frame crossed (from the Linux cooked header's ifindex and the bundle's
   * interface table, or the capture interface's own device), when known.
   */
  readonly device: string | null;
  /** ARPHRD_* of the device (Linux cooked captures), -1 when unknown. */
  readonly hatype: number;
  /** `out` sent by this host/namespace, `in` received, null when the capture does not say. */
  readonly direction: 'out' | 'in' | null;
  /** Bytes on the wire as captured (pcap `len`). */
  readonly len: number;
  /** Length from the network header on (what the kernel's receive events report), -1 unknown. */
  readonly l3Len: number;
  /** `ip`, `ipv6`, `arp`, or `other`. */
  readonly network: 'ip' | 'ipv6' | 'arp' | 'other';
  /** `tcp`, `udp`, `icmp`, `icmpv6`, or `other`. */
  readonly transport: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | 'other';
  readonly src: string | null;
  readonly dst: string | null;
  /** Transport ports, -1 when none. */
  readonly sport: number;
  readonly dport: number;
  /** TCP details, when the frame carries a TCP header. */
  readonly tcp: DatasetTcp | null;
}

export interface DatasetTcp {
  /** The 12-bit flags field. */
  readonly flags: number;
  /** Flag names, e.g. `SYN`, `PSH,ACK`. */
  readonly flagText: string;
  readonly seqRaw: number;
  readonly ackRaw: number;
  /** Relative sequence/ack numbers (Wireshark's). */
  readonly seq: number;
  readonly ack: number;
  readonly payload: number;
  readonly window: number;
  /** tcp.stream of the whole capture (both ends of a veth pair share a stream). */
  readonly stream: number;
  /**
   * Expert analysis flags (TcpExpert bits) computed per vantage point (capture interface
   * and device, and direction on loopback), so that the same packet captured at both ends
   * of a link is not mistaken for a retransmission.
   */
  readonly expert: number;
  /** Names of those flags (`retransmission`, `duplicate_ack`, …). */
  readonly analysis: readonly string[];
}

export interface Dataset {
  /** The paths it was opened from. */
  readonly paths: readonly string[];
  /** The bundle directory, when one was opened. */
  readonly bundleDir: string | null;
  readonly bundle: BundleJson | null;
  /** The kernel trace(s), or null when there are none. */
  readonly kernel: TraceCollection | null;
  /** Directories of the kernel traces. */
  readonly kernelPaths: readonly string[];
  /** Names of the event classes the kernel traces declare (what was enabled). */
  readonly kernelEventNames: ReadonlySet<string>;
  /** The capture file, or null. */
  readonly capturePath: string | null;
  readonly captureInterfaces: readonly DatasetCaptureInterface[];
  /** Every frame of the capture, in file order (frame n at index n − 1). */
  readonly frames: readonly DatasetFrame[];
  /** Network namespaces and their interfaces (from the bundle), empty when unknown. */
  readonly netns: readonly BundleNetns[];
  /** trace ns = pcap ns − this. */
  readonly pcapToTraceOffsetNs: bigint;
  /** How that offset was obtained (for the story's limitations). */
  readonly clockNote: string;
  /** Half-width of the offset's uncertainty, ns (0 when unknown). */
  readonly clockUncertaintyNs: number;
  /**
   * Damage found while reading (a truncated capture or kernel stream): everything before it
   * was read and is analysed; callers report these lines (the CLI: one line, exit 2).
   */
  readonly damage: string[];
}
