/**
 * The story of a connection: numbered steps like the seed's hand-written list, each with
 * its time, what happened, and the kernel events and frames that show it. This is the
 * contract between the story builder, its renderers (text, markdown, JSON) and the UI.
 */
import type { EventRef } from '../correlate/types.js';

export type { EventRef } from '../correlate/types.js';
export type { Correlation, FrameCorrelation } from '../correlate/types.js';

/** A connection (or socket) a story can be about. */
export interface ConnectionRef {
  /** Stable id within one dataset, e.g. `tcp:10.0.0.1:5000-10.0.0.2:48464` or `unix:ncat/3`. */
  readonly id: string;
  /** `tcp`, `udp`, `unix`, or `other`. */
  readonly protocol: string;
  /** The subject side (server when there is an accept) and its peer. */
  readonly local: { readonly addr: string; readonly port: number } | null;
  readonly remote: { readonly addr: string; readonly port: number } | null;
  /** tcp.stream of the capture, when captured. */
  readonly tcpStream: number | null;
  /** Frames of the connection (all captures of it). */
  readonly frames: number;
  /** Processes holding it: pid, name, fd, and role. */
  readonly processes: ReadonlyArray<{ readonly pid: number; readonly comm: string | null; readonly fd: number; readonly role: 'server' | 'client' | 'peer' }>;
  readonly firstTs: bigint | null;
  readonly lastTs: bigint | null;
  /** Why it was (or would be) picked: higher is more interesting. */
  readonly score: number;
  /** One line, e.g. `10.0.0.1:5000 ↔ 10.0.0.2:48464 TCP, 12 frames, ncat[4242] fd 4`. */
  readonly summary: string;
}

export type StoryStepKind = 'syscall' | 'block' | 'wakeup' | 'packet' | 'softirq' | 'irq' | 'state' | 'data' | 'teardown' | 'exit' | 'note';

export interface StoryStep {
  /** 1-based step number. */
  readonly n: number;
  /** When it happened (trace clock, ns). */
  readonly ts: bigint;
  /** ts − the story's first step (ns). */
  readonly relNs: bigint;
  readonly kind: StoryStepKind;
  /** Short title, e.g. `accept4(3 = listen 10.0.0.1:5000) → 4 = 10.0.0.2:48464`. */
  readonly title: string;
  /** The explanation: what the kernel did, with numbers. */
  readonly text: string;
  readonly tid?: number;
  readonly cpu?: number;
  /** The kernel events that show it (timestamp, name, CPU). */
  readonly events: EventRef[];
  /** The capture's frame numbers involved. */
  readonly frames: number[];
  /** The latency this step measures (e.g. SYN → accept return), ns. */
  readonly latencyNs?: bigint;
  /** What that latency is, e.g. `SYN → accept4 return`. */
  readonly latencyLabel?: string;
  /** Which item of the seed's numbered kernel-trace list this step corresponds to (1–21), when one does. */
  readonly seedItem?: number;
}

/** A process the story follows. */
export interface StorySubject {
  readonly pid: number;
  readonly comm: string | null;
  readonly tids: readonly number[];
  /** Executable (sched_process_exec filename), when seen. */
  readonly exe: string | null;
}

export interface Story {
  readonly connection: ConnectionRef | null;
  readonly steps: StoryStep[];
  /** Other connections the dataset holds (pick one with --conn/--port/--pid). */
  readonly otherConnections: ConnectionRef[];
  /** What the trace cannot show, and what to enable to see it. */
  readonly limitations: string[];
  /** The process the steps follow, when there is one. */
  readonly subject: StorySubject | null;
  /** Where it came from (paths) and the time origin of `relNs`. */
  readonly source: { readonly paths: readonly string[]; readonly originTs: bigint | null; readonly kernel: boolean; readonly capture: boolean };
  /** Measured latencies by name (`syn_to_accept_ns`, `send_to_wire_ns`, `wire_to_recv_ns`, `handshake_ns`…). */
  readonly latencies: Readonly<Record<string, bigint>>;
}

/** What the user asked for. */
export interface StoryFilter {
  /** Follow this process. */
  readonly pid?: number;
  /** A connection with this port on either side. */
  readonly port?: number;
  /** `A:P-B:P` (either order). */
  readonly conn?: string;
}
