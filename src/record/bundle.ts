/**
 * The recording bundle: one directory holding everything `tracewire record` captured
 * over one window, on one clock.
 *
 * ```
 * DIR/
 *   bundle.json        this file's schema (BundleJson below)
 *   kernel/            CTF 1.8 trace in lttng-modules 2.13 layout: metadata, channel0_<cpu>,
 *                      index/channel0_<cpu>.idx — open it with babeltrace2, lttng-analyses,
 *                      Trace Compass or `tracewire events DIR/kernel`
 *   capture.pcapng     packets of the same window (tcpdump, nanosecond timestamps);
 *                      absent when capture was off or failed (see `capture.error`)
 * ```
 *
 * Clocks. Kernel events are stamped with CLOCK_MONOTONIC (ftrace `trace_clock=mono`);
 * the CTF clock `monotonic` carries `offset = ctf_clock_offset_ns` so readers show
 * `ns_from_origin = cycles + offset` ≈ Unix time. Packets carry the kernel's
 * CLOCK_REALTIME stamp. To put a packet on the trace's time line:
 *
 *   trace_ns_from_origin = pcap_ns − clocks.pcap_to_trace_offset_ns
 *
 * (and `cycles = pcap_ns − clocks.realtime_offset_ns.start`). The offset is measured at
 * start and end; if NTP slewed the clock in between, `pcap_to_trace_offset_end_ns`
 * differs and a reader may interpolate linearly.
 *
 * All nanosecond quantities are decimal strings (they exceed 2^53); other numbers are
 * JSON numbers.
 */
import { readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { FormatError } from '../base/errors.js';
import { formatSeconds } from '../base/time.js';
import type { CaptureResult } from './capture.js';
import type { HostInfo } from './convert.js';

/** A nanosecond count as a decimal string (may be negative). */
export type NsString = string;

export const BUNDLE_FILE = 'bundle.json';
export const KERNEL_DIR = 'kernel';
export const CAPTURE_FILE = 'capture.pcapng';

export type StopReason =
  /** The recorded command exited. */
  | 'command-exited'
  /** `--duration` elapsed. */
  | 'duration'
  /** SIGINT / SIGTERM / SIGHUP reached the recorder. */
  | 'signal'
  /** The disk filled up; everything before that point is in the bundle. */
  | 'disk-full'
  /** An error stopped the recording early; see `error`. */
  | 'error'
  /** A recorder was killed; a later run finished its bundle from the stale instance. */
  | 'recovered';

export interface BundleInterface {
  readonly ifindex: number;
  readonly name: string;
  /** Addresses with prefix length, e.g. `10.77.1.1/24`, `fe80::1/64`. */
  readonly addresses: string[];
}

export interface BundleNetns {
  /** `host` for the recorder's own namespace, else the name under /run/netns. */
  readonly name: string;
  /** Inode of the namespace (`net_ns_inum` / `netns_inum` in statedump events). */
  readonly inum: number;
  readonly interfaces: BundleInterface[];
}

export interface BundleCaptureInterface {
  /** pcapng interface id (the `interface_id` of its packets). */
  readonly id: number;
  /** Namespace name (`host` or /run/netns name). */
  readonly netns: string;
  /** Capture device (`any` = all interfaces of that namespace). */
  readonly device: string;
  /** `if_name` written in the pcapng interface block, e.g. `any@ns1`. */
  readonly pcapngName: string;
}

export interface BundleJson {
  readonly format: 'tracewire-bundle';
  readonly version: 1;
  readonly tool: { readonly name: 'tracewire'; readonly version: string };
  /** True when the recorder finished normally (also after a signal or disk-full stop). */
  readonly complete: boolean;
  readonly stop_reason: StopReason;
  readonly error?: string;
  readonly host: {
    readonly hostname: string;
    readonly sysname: string;
    readonly kernel_release: string;
    readonly kernel_version: string;
    readonly machine: string;
    readonly cpus: number;
    readonly boot_id: string;
  };
  readonly tracer: {
    /** `ftrace` (tracefs instance, converted to LTTng-style CTF) or `lttng`. */
    readonly name: 'ftrace' | 'lttng';
    /** tracefs instance name used (ftrace). */
    readonly instance?: string;
    readonly buffer_size_kb_per_cpu?: number;
    /** LTTng version whose vocabulary and layout the CTF follows. */
    readonly ctf_layout: 'lttng-modules 2.13';
    /**
     * The recorder's own threads (ftrace): their system calls and scheduling are not
     * recorded (`excluded_tids`), except `own_context_events` — forks of its children,
     * and interrupts and packet processing that ran on its CPUs' time (see
     * src/record/own-context.ts). Absent in bundles of older versions.
     */
    readonly recorder?: { readonly pid: number; readonly excluded_tids: number[]; readonly own_context_events: string[] };
  };
  readonly clocks: {
    /** The kernel events' clock. */
    readonly trace_clock: 'monotonic';
    /** `offset` of the CTF clock: ns_from_origin = cycles + this. */
    readonly ctf_clock_offset_ns: NsString;
    /** CLOCK_REALTIME − CLOCK_MONOTONIC at start and at end. */
    readonly realtime_offset_ns: { readonly start: NsString; readonly end: NsString };
    /** Half-width of the interval the offset was measured in. */
    readonly offset_uncertainty_ns: number;
    /** The packets' clock (pcapng timestamps). */
    readonly capture_clock: 'realtime';
    /** trace ns_from_origin = pcap_ns − this (at start). */
    readonly pcap_to_trace_offset_ns: NsString;
    /** Same, measured at the end. */
    readonly pcap_to_trace_offset_end_ns: NsString;
  };
  readonly time: {
    /** Recording window on the trace clock (monotonic cycles) and as Unix time. */
    readonly start_monotonic_ns: NsString;
    readonly end_monotonic_ns: NsString;
    readonly start_realtime_ns: NsString;
    readonly end_realtime_ns: NsString;
    readonly start_iso: string;
    readonly end_iso: string;
    readonly duration_s: number;
  };
  readonly events: {
    /** Enabled ftrace events, `system:event`. */
    readonly enabled: string[];
    /** Default events this kernel lacks. */
    readonly unavailable: string[];
    /** Events written to the CTF trace (kernel + state dump). */
    readonly written: number;
    readonly statedump: number;
    readonly per_cpu: Record<string, { readonly written: number; readonly lost: number }>;
  };
  /** Events the kernel lost (ring buffer overrun), summed over CPUs. 0 means none. */
  readonly lost_events: number;
  readonly command: null | {
    readonly argv: string[];
    readonly pid: number | null;
    /** Exit status, or null when it was killed by a signal or never started. */
    readonly exit_code: number | null;
    readonly signal: string | null;
    readonly error?: string;
  };
  /** Network namespaces recorded: name → inode and interfaces. */
  readonly netns: BundleNetns[];
  readonly capture: {
    /** `capture.pcapng`, or null when no packets were captured. */
    readonly file: string | null;
    readonly tool: 'tcpdump' | null;
    readonly interfaces: BundleCaptureInterface[];
    readonly packets: number;
    /** Packets the kernel dropped before tcpdump read them (tcpdump's own report). */
    readonly dropped: number;
    readonly error?: string;
  };
  readonly kernel: {
    readonly path: string;
    readonly streams: number;
    /** Events whose timestamp went backwards on a CPU and were clamped to the previous one. */
    readonly clamped_timestamps: number;
  };
}

/** CLOCK_REALTIME − CLOCK_MONOTONIC as measured (clock.ts). */
export interface MeasuredOffset {
  readonly offsetNs: bigint;
  readonly uncertaintyNs: number;
}

/** The `host` block: this machine's facts and CPU count. */
export function bundleHost(host: HostInfo, cpus: number): BundleJson['host'] {
  return { hostname: host.hostname, sysname: host.sysname, kernel_release: host.kernelRelease, kernel_version: host.kernelVersion, machine: host.machine, cpus, boot_id: host.bootId };
}

/**
 * The `clocks` and `time` blocks of a recording window `[startMono, endMono]` (trace
 * clock), with the realtime offsets measured at its start and end. The CTF clock's
 * offset is the start one.
 */
export function bundleClocksAndTime(startMono: bigint, endMono: bigint, atStart: MeasuredOffset, atEnd: MeasuredOffset): Pick<BundleJson, 'clocks' | 'time'> {
  const startReal = startMono + atStart.offsetNs;
  const endReal = endMono + atEnd.offsetNs;
  return {
    clocks: {
      trace_clock: 'monotonic',
      ctf_clock_offset_ns: atStart.offsetNs.toString(),
      realtime_offset_ns: { start: atStart.offsetNs.toString(), end: atEnd.offsetNs.toString() },
      offset_uncertainty_ns: Math.max(atStart.uncertaintyNs, atEnd.uncertaintyNs),
      capture_clock: 'realtime',
      pcap_to_trace_offset_ns: '0',
      pcap_to_trace_offset_end_ns: (atEnd.offsetNs - atStart.offsetNs).toString(),
    },
    time: {
      start_monotonic_ns: startMono.toString(),
      end_monotonic_ns: endMono.toString(),
      start_realtime_ns: startReal.toString(),
      end_realtime_ns: endReal.toString(),
      start_iso: new Date(Number(startReal / 1_000_000n)).toISOString(),
      end_iso: new Date(Number(endReal / 1_000_000n)).toISOString(),
      duration_s: Number(formatSeconds(endMono - startMono)),
    },
  };
}

/** The `capture` block from a capture's result (tcpdump wrote the file, if there is one). */
export function bundleCapture(c: CaptureResult): BundleJson['capture'] {
  return { file: c.file, tool: c.file ? 'tcpdump' : null, interfaces: c.interfaces, packets: c.packets, dropped: c.dropped, ...(c.error ? { error: c.error } : {}) };
}

/** Writes `bundle.json` atomically (temp file + rename), so a reader never sees half of it. */
export function writeBundle(dir: string, bundle: BundleJson): void {
  const tmp = join(dir, `.${BUNDLE_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(bundle, null, 2)}\n`);
  renameSync(tmp, join(dir, BUNDLE_FILE));
}

/** Reads and checks `DIR/bundle.json`. Throws FormatError when it is not a tracewire bundle. */
export function readBundle(dir: string): BundleJson {
  const file = join(dir, BUNDLE_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw err;
    throw new FormatError(file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  const b = parsed as Partial<BundleJson>;
  if (b?.format !== 'tracewire-bundle' || b.version !== 1) throw new FormatError(file, undefined, 'not a tracewire bundle (format/version)');
  return b as BundleJson;
}

/** `pcap_to_trace_offset_ns` as a bigint: subtract it from a pcap timestamp to get trace time. */
export function pcapToTraceOffset(bundle: BundleJson): bigint {
  return BigInt(bundle.clocks.pcap_to_trace_offset_ns);
}
