/**
 * The JSON shapes of `tracewire ui`'s API (api.ts) that the server builds and the page
 * reads: one definition for both sides. The page's build (web/, browser typings, no Node)
 * re-exports them from web/src/api.ts, so this module imports nothing and holds types
 * only. Times are ns relative to the dataset base, as numbers.
 */

/** One analysis the server runs (GET /api/status, /api/progress). */
export interface ProgressTask {
  /** Stable id, e.g. `events`, `packets`, `kernel`. */
  readonly id: string;
  /** What the user reads, e.g. `Indexing kernel events`. */
  label: string;
  /** Work done and total in `unit`; total 0 when unknown. */
  done: number;
  total: number;
  unit: string;
  state: 'pending' | 'running' | 'done' | 'failed' | 'unavailable';
  /** Runs on after the page opens (the views it feeds fill in when it is done). */
  background?: boolean;
  /** Why it failed or is unavailable. */
  note?: string;
}

export interface ProgressSnapshot {
  /** The page can open (the timelines and tables are ready). */
  readonly ready: boolean;
  /** Every task, background ones included, has finished. */
  readonly complete: boolean;
  readonly error: string | null;
  readonly tasks: readonly ProgressTask[];
}

/** A thread seen in the events' context (`tid`, `pid`, `procname`). */
export interface ContextThread {
  tid: number;
  pid: number;
  name: string;
  events: number;
}

/** Events the tracer lost, placed on the time line. */
export interface LostRange {
  readonly t0: number;
  readonly t1: number;
  readonly count: number | null;
  readonly cpu: number | null;
  readonly kind: string;
}

/** One row of the Events table. */
export interface EventRow {
  readonly i: number;
  readonly t: number;
  readonly name: string;
  readonly cpu: number;
  readonly tid: number;
  readonly procname: string;
  readonly fields: string;
}

/** One row of the packet list. */
export interface PacketRow {
  /** Row index over all captures (the id the API uses). */
  readonly id: number;
  /** Frame number in its capture (Wireshark's No.). */
  readonly no: number;
  readonly capture: number;
  /** Trace time, ns relative to the dataset base. */
  readonly t: number;
  readonly src: string;
  readonly dst: string;
  readonly proto: string;
  readonly len: number;
  readonly info: string;
  /** tcp.stream, -1 when none. */
  readonly stream: number;
  /** TCP flag names (`SYN`, `ACK`, …), empty when not TCP. */
  readonly flags: string[];
  /** Expert analysis names (`retransmission`, `duplicate_ack`, …). */
  readonly expert: string[];
  /** Capture interface name (`any@ns1`). */
  readonly iface: string;
  /** The process owning the frame's socket; the API adds it once the correlation is done. */
  readonly process?: string;
}

/** A node of the detail tree: `label` as Wireshark shows it, `field` its filter name. */
export interface DetailNode {
  label: string;
  field?: string;
  /** Byte range of the node in the frame, for highlighting the hex view. */
  start?: number;
  length?: number;
  children?: DetailNode[];
}

/** A TCP conversation (for the Flow graph and the Sockets view). */
export interface ConversationRow {
  readonly stream: number;
  readonly capture: number;
  readonly addressA: string;
  readonly portA: number;
  readonly addressB: string;
  readonly portB: number;
  readonly frames: number;
  readonly bytes: number;
  /** First and last frame times (relative ns). */
  readonly t0: number;
  readonly t1: number;
  readonly flags: string;
}

/** A Threads row: one per thread lifetime of the kernel model. */
export interface ThreadRow {
  /** Timeline row id (`row:N`, `h1/row:N` with several kernel traces). */
  id: string;
  tid: number;
  pid: number | null;
  ppid: number | null;
  name: string;
  kernelThread: boolean;
  start: number | null;
  end: number | null;
  /** A thread of a process that owns a connection of the capture (shown first). */
  focus: boolean;
}

/** A Resources row: a CPU, an IRQ line or a softirq vector. */
export interface ResourceRow {
  id: string;
  kind: 'cpu' | 'irq' | 'softirq';
  label: string;
  cpu: number;
}

/** State intervals of one row, merged by the server to the requested resolution. */
export interface RowIntervals {
  /** Starts and ends (relative ns) and state codes (the kernel model's, which the page's palette follows). */
  s: number[];
  e: number[];
  k: number[];
  /** Label per interval (syscall name, thread name on a CPU), null when none. */
  l: (string | null)[];
}

export interface WakeupArrow {
  t: number;
  /** Time the wakee started running (end of the arrow), when known. */
  t1?: number;
  /** Waker (tid, or -1 when in IRQ/softirq context) and wakee. */
  from: number;
  to: number;
  /** Row ids of waker and wakee (the server knows thread lifetimes; tids can be reused). */
  fromRow?: string;
  toRow: string;
  cpu: number;
  context: string;
}

/** A cited kernel event, by its place on the time line (relative ns) — and what it did. */
export interface PortableEvent {
  t: number;
  name: string;
  cpu: number;
  tid: number;
  role: string;
}

export interface PortableLinks {
  events: PortableEvent[];
  wokenTids: number[];
  process?: string;
  tid?: number;
  matched: boolean;
  reason: string | null;
}

export interface SocketRow {
  key: string;
  pid: number;
  process: string;
  fd: number;
  inode?: string;
  family?: string;
  protocol: string;
  local?: string;
  remote?: string;
  state?: string;
  states: { t: number; state: string }[];
  t0: number;
  t1: number;
  stream?: number;
  how: string;
}

export interface PortableFlowStep {
  t: number;
  side: 'A' | 'B';
  text: string;
  kind: string;
  tid?: number;
  ref: PortableEvent;
}

export interface PortableStoryStep {
  n: number;
  t: number;
  t1?: number;
  title: string;
  text: string;
  kind: string;
  tid?: number;
  cpu?: number;
  frames: number[];
  refs: PortableEvent[];
  latency?: string;
  seedItem?: number;
}

export interface PortableStory {
  title: string;
  connection?: string;
  /** `A:P-B:P` of the story's connection. */
  conn?: string;
  steps: PortableStoryStep[];
  notes: string[];
  others: Array<{ key: string; label: string }>;
}

/** A cited event with its row of the Events table (-1 when the index does not hold it). */
export interface LinkedEvent extends PortableEvent {
  i: number;
}

/** GET /api/links/packet/:id: the kernel events of one frame. */
export interface PacketLinks extends Omit<PortableLinks, 'events'> {
  id: number;
  events: LinkedEvent[];
}

/** A kernel step beside the packets of the Flow graph, with its Events-table rows. */
export interface FlowStep extends Omit<PortableFlowStep, 'ref'> {
  events?: number[];
}

/** A story step with the cited events and frames as Events-table rows and packet ids. */
export interface StoryStep extends Omit<PortableStoryStep, 'refs'> {
  refs: LinkedEvent[];
  events: number[];
  packetIds: number[];
}

export interface StoryReply extends Omit<PortableStory, 'steps'> {
  steps: StoryStep[];
}
