/**
 * Conversion of a spooled ftrace recording into the bundle's CTF trace (`kernel/`).
 *
 * The per-CPU page spools (of the main instance and of the own-context instance, see
 * own-context.ts) are decoded and merged in time order (one MinHeap over the CPUs plus
 * the state dump), so the task state that fills LTTng's `pid`/`procname`
 * context evolves as the kernel's did. Each event is written to its CPU's stream
 * (`channel0_<cpu>`); the state dump goes to the first CPU's stream, as LTTng's
 * statedump runs on one CPU. A page that says events were lost before it closes the
 * stream's packet and raises `events_discarded`, so CTF readers report the loss where it
 * happened. Whatever the kernel counted as lost but no page located is added at the end
 * of the stream, so the total is never understated.
 */
import { mkdirSync, existsSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { MinHeap } from '../base/heap.js';
import { FormatError } from '../base/errors.js';
import { parseEventFormat, type EventFormat } from '../ftrace/format.js';
import { decodePage, parsePageLayout, readPageHeader, type PageLayout } from '../ftrace/ring-buffer.js';
import { mapEventFormat, type MappedEventClass, type RecordView } from '../ftrace/lttng-mapping.js';
import { TaskState, type KnownThread } from '../ftrace/task-state.js';
import { buildLttngMetadata, uuidBytes, writeLttngMetadata, type MetadataEventClass } from '../ctf/writer/metadata.js';
import { CtfStreamWriter, DiskFullError, type EventHeaderType } from '../ctf/writer/stream-writer.js';
import { writePacketIndex } from '../ctf/writer/index-file.js';
import { ByteWriter } from '../ctf/writer/byte-writer.js';
import { int, textArray, type CtfField } from '../ctf/writer/types.js';
import { countRecords, readSpool, spooledCpus } from './spool.js';
import { OWN_SPOOL_DIR } from './own-context.js';
import type { StateDump } from './statedump.js';
import { stateDumpEvents, STATEDUMP_CLASSES, writeSyntheticEvent, type SyntheticEvent } from './statedump-events.js';

/** lttng-modules version whose layout and names the trace follows. */
export const LTTNG_VERSION = { major: 2, minor: 13, patchlevel: 0 } as const;

/** The stream event context every event carries (LTTng `add-context` style). */
export const EVENT_CONTEXT: readonly CtfField[] = [
  { name: 'pid', type: int.s32 },
  { name: 'tid', type: int.s32 },
  { name: 'procname', type: textArray(16) },
  /** ftrace's common_flags: irqs-off 0x1, need-resched 0x4, hardirq 0x8, softirq 0x10, nmi 0x40, bh-off 0x80. */
  { name: 'ftrace_flags', type: { kind: 'integer', size: 8, signed: false, base: 16 } },
  /** ftrace's common_preempt_count: preemption depth (low nibble), migrate-disable depth (high). */
  { name: 'ftrace_preempt_count', type: int.u8 },
];

export interface HostInfo {
  readonly hostname: string;
  readonly sysname: string;
  readonly kernelRelease: string;
  readonly kernelVersion: string;
  readonly machine: string;
  readonly bootId: string;
}

export interface ConvertInput {
  /** The spool directory (`DIR/.ftrace`). */
  readonly spoolDir: string;
  /** Output directory for the CTF trace (`DIR/kernel`). */
  readonly outDir: string;
  readonly cpus: readonly number[];
  readonly headerPage: string;
  readonly headerEvent: string;
  /** Format file texts of the enabled events, by `system:event`. */
  readonly formats: Readonly<Record<string, string>>;
  readonly host: HostInfo;
  /** CTF clock offset (realtime − monotonic), ns. */
  readonly clockOffsetNs: bigint;
  readonly traceName: string;
  /** Trace creation time, Unix ms. */
  readonly createdMs: number;
  readonly statedump: StateDump | null;
  /** The kernel's tid → tgid map read at the end. */
  readonly savedTgids: ReadonlyMap<number, number>;
  /** Per CPU: events the kernel counted as lost (overrun + dropped). */
  readonly kernelLost: ReadonlyMap<number, number>;
  /** End of the recording window (monotonic), to close the streams. */
  readonly endMonotonicNs: bigint;
  /** Identity used as context of the state dump events (the recorder). */
  readonly recorder: { readonly pid: number; readonly comm: string };
  /** Delete spool segments once converted (frees space on a full disk). */
  readonly deleteSpool: boolean;
  readonly maxPacketSize?: number;
  /** Called once the disk is found full, before the metadata is written (free a reserve). */
  readonly onDiskFull?: () => void;
}

export interface ConvertResult {
  readonly eventsWritten: number;
  readonly statedumpEvents: number;
  readonly perCpu: Record<string, { written: number; lost: number }>;
  readonly lostEvents: number;
  readonly clampedTimestamps: number;
  /** Records whose event type was not among the enabled formats (should be 0). */
  readonly unknownRecords: number;
  /** Corrupt records skipped (with where the first one was). */
  readonly corruptRecords: number;
  readonly firstCorruption?: string;
  /** The disk filled up: the trace holds everything up to that point. */
  readonly diskFull: boolean;
  readonly uuid: string;
}

/** Heap order of the own-context sources: after the main instance's on equal timestamps. */
const OWN_ORDER = 1 << 20;

/** One CPU's records, decoded a page at a time. */
class CpuSource {
  ts = 0n;
  page: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(new ArrayBuffer(8));
  at = 0;
  length = 0;
  /** Lost events reported by the page the current record starts (0 if none). */
  lostBefore = 0;
  private readonly tsList: bigint[] = [];
  private readonly atList: number[] = [];
  private readonly lenList: number[] = [];
  private index = 0;
  private pageLost = 0;
  private readonly pages: Generator<Uint8Array>;
  pageNumber = 0;

  /** `label` names the source in error messages (`cpu1`, `own cpu1`). */
  constructor(readonly cpu: number, spoolDir: string, private readonly layout: PageLayout, deleteSpool: boolean, readonly label = `cpu${cpu}`) {
    this.pages = readSpool(spoolDir, cpu, deleteSpool);
  }

  /** Advances to the next record; false at the end. */
  next(): boolean {
    this.lostBefore = 0;
    while (this.index >= this.tsList.length) {
      const r = this.pages.next();
      if (r.done) return false;
      this.loadPage(r.value);
      // A page without records may still report a loss: pageLost carries it to the next record.
    }
    const i = this.index++;
    this.ts = this.tsList[i]!;
    this.at = this.atList[i]!;
    this.length = this.lenList[i]!;
    if (i === 0) {
      this.lostBefore = this.pageLost;
      this.pageLost = 0;
    }
    return true;
  }

  /** Counts the records not handed out yet (current page and the rest of the spool). */
  countRemaining(): number {
    let n = this.tsList.length - this.index;
    for (let r = this.pages.next(); !r.done; r = this.pages.next()) {
      const h = readPageHeader(r.value, this.layout);
      n += countRecords(r.value, this.layout, h.dataLength);
    }
    this.index = this.tsList.length;
    return n;
  }

  private loadPage(page: Uint8Array): void {
    this.page = page;
    this.view = new DataView(page.buffer, page.byteOffset, page.byteLength);
    this.tsList.length = 0;
    this.atList.length = 0;
    this.lenList.length = 0;
    this.index = 0;
    this.pageNumber++;
    const header = decodePage(page, this.layout, (ts, at, len) => {
      this.tsList.push(ts);
      this.atList.push(at);
      this.lenList.push(len);
    }, `${this.label} spooled page ${this.pageNumber}`);
    // A loss flagged without a count is covered by the kernel's own counters (stats),
    // which the conversion reports at the end of the stream.
    if (header.missedEvents && header.missedCount !== null) this.pageLost += header.missedCount;
  }
}

interface HeapItem {
  ts: bigint;
  order: number;
  cpu?: CpuSource;
  synthetic?: SyntheticEvent;
}

function fieldsOfFormats(texts: Readonly<Record<string, string>>): EventFormat[] {
  return Object.entries(texts).map(([key, text]) => {
    const system = key.slice(0, key.indexOf(':'));
    return parseEventFormat(text, `events/${key.replace(':', '/')}/format`, system);
  });
}

/** The LTTng env block of the trace. */
export function lttngEnv(host: HostInfo, traceName: string, createdMs: number): Array<[string, string | number]> {
  const d = new Date(createdMs);
  const p = (n: number) => String(n).padStart(2, '0');
  const created = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}+0000`;
  return [
    ['hostname', host.hostname],
    ['domain', 'kernel'],
    ['sysname', host.sysname],
    ['kernel_release', host.kernelRelease],
    ['kernel_version', host.kernelVersion],
    ['tracer_name', 'lttng-modules'],
    ['tracer_major', LTTNG_VERSION.major],
    ['tracer_minor', LTTNG_VERSION.minor],
    ['tracer_patchlevel', LTTNG_VERSION.patchlevel],
    ['trace_buffering_scheme', 'global'],
    ['trace_name', traceName],
    ['trace_creation_datetime', created],
    ['tracer_implementation', 'tracewire ftrace-to-ctf'],
  ];
}

/**
 * Converts the spool into `outDir` (metadata, channel0_<cpu>, index/). Stops early,
 * with a readable trace, when the disk fills up (`diskFull` in the result).
 */
export function convertSpool(input: ConvertInput): ConvertResult {
  const layout = parsePageLayout(input.headerPage, input.headerEvent);
  const formats = fieldsOfFormats(input.formats);
  const classes = new Map<number, { mapped: MappedEventClass; ctfId: number }>();
  const metaEvents: MetadataEventClass[] = [];
  let nextId = 0;
  for (const f of formats) {
    const mapped = mapEventFormat(f);
    classes.set(f.id, { mapped, ctfId: nextId });
    metaEvents.push({ name: mapped.name, id: nextId, fields: mapped.fields });
    nextId++;
  }
  const statedumpBase = nextId;
  for (const c of STATEDUMP_CLASSES) metaEvents.push({ name: c.name, id: nextId++, fields: c.fields });
  // LTTng picks the compact header while a channel has fewer than 31 event classes.
  const headerType: EventHeaderType = nextId < 31 ? 'compact' : 'large';

  const uuid = randomUUID();
  const uuidB = uuidBytes(uuid);
  mkdirSync(join(input.outDir, 'index'), { recursive: true });
  const metadataText = buildLttngMetadata({
    uuid,
    env: lttngEnv(input.host, input.traceName, input.createdMs),
    clock: { name: 'monotonic', uuid: input.host.bootId || undefined, description: 'Monotonic Clock', freq: 1_000_000_000n, offset: input.clockOffsetNs },
    headerType,
    eventContext: EVENT_CONTEXT,
    events: metaEvents,
  });

  const threads: KnownThread[] = (input.statedump?.threads ?? []).map((t) => ({ tid: t.tid, pid: t.pid, comm: t.comm, pidNs: t.ns.pid ?? 0 }));
  const tasks = new TaskState(threads, input.savedTgids, input.statedump?.hostPidNs ?? 0);
  tasks.watch(formats);

  // On a full disk: first free the caller's reserve and retry; a second time, stop.
  let reserveFreed = false;
  const freeReserve = (): boolean => {
    if (reserveFreed) return false;
    reserveFreed = true;
    input.onDiskFull?.();
    return true;
  };
  const cpus = [...input.cpus].sort((a, b) => a - b);
  const writers = new Map<number, CtfStreamWriter>();
  for (const cpu of cpus) {
    writers.set(cpu, new CtfStreamWriter({
      path: join(input.outDir, `channel0_${cpu}`),
      uuid: uuidB,
      streamId: 0,
      streamInstanceId: cpu,
      cpuId: cpu,
      headerType,
      maxPacketSize: input.maxPacketSize,
      onDiskFull: freeReserve,
    }));
  }
  const statedumpCpu = cpus[0] ?? 0;
  const heap = new MinHeap<HeapItem>((a, b) => a.ts < b.ts || (a.ts === b.ts && a.order < b.order));
  const sources: CpuSource[] = [];
  for (const cpu of cpus) {
    const src = new CpuSource(cpu, input.spoolDir, layout, input.deleteSpool);
    sources.push(src);
    if (src.next()) heap.push({ ts: src.ts, order: cpu, cpu: src });
  }
  // The own-context instance's pages (own-context.ts): merged into the same CPU streams.
  const ownDir = join(input.spoolDir, OWN_SPOOL_DIR);
  for (const cpu of existsSync(ownDir) ? spooledCpus(ownDir) : []) {
    if (!writers.has(cpu)) continue;
    const src = new CpuSource(cpu, ownDir, layout, input.deleteSpool, `own cpu${cpu}`);
    sources.push(src);
    if (src.next()) heap.push({ ts: src.ts, order: OWN_ORDER + cpu, cpu: src });
  }
  const synthetic = input.statedump ? stateDumpEvents(input.statedump) : [];
  let synthIndex = 0;
  const SYNTH_ORDER = -1;
  if (synthetic.length) heap.push({ ts: synthetic[0]!.ts, order: SYNTH_ORDER, synthetic: synthetic[0] });

  const perCpu: Record<string, { written: number; lost: number }> = {};
  for (const cpu of cpus) perCpu[cpu] = { written: 0, lost: 0 };
  const located = new Map<number, number>();
  let unknownRecords = 0;
  let corruptRecords = 0;
  let firstCorruption: string | undefined;
  let statedumpWritten = 0;
  let diskFull = false;
  const notConverted = new Map<number, number>();
  const recorderComm = input.recorder.comm;

  // procname is written for every event: encode each distinct name once.
  const commCache = new Map<string, Uint8Array>();
  const commBytes = (comm: string): Uint8Array => {
    let b = commCache.get(comm);
    if (!b) {
      const w = new ByteWriter(16);
      w.fixedText(comm, 16);
      b = w.bytes().slice();
      commCache.set(comm, b);
    }
    return b;
  };
  const rec: { bytes: Uint8Array; view: DataView; at: number; length: number; source: string } = {
    bytes: new Uint8Array(0),
    view: new DataView(new ArrayBuffer(8)),
    at: 0,
    length: 0,
    source: '',
  };

  try {
    while (heap.size > 0) {
      const item = heap.peek()!;
      if (item.synthetic) {
        const ev = item.synthetic;
        const w = writers.get(statedumpCpu)!;
        const out = w.beginEvent(statedumpBase + ev.cls, ev.ts);
        out.i32(input.recorder.pid);
        out.i32(input.recorder.pid);
        out.fixedText(recorderComm, 16);
        out.u8(0);
        out.u8(0);
        writeSyntheticEvent(out, ev);
        statedumpWritten++;
        perCpu[statedumpCpu]!.written++;
        synthIndex++;
        if (synthIndex < synthetic.length) {
          item.synthetic = synthetic[synthIndex];
          item.ts = item.synthetic!.ts;
          heap.updateTop();
        } else {
          heap.pop();
        }
        continue;
      }
      const src = item.cpu!;
      const w = writers.get(src.cpu)!;
      if (src.lostBefore > 0) {
        w.addDiscarded(src.lostBefore, src.ts);
        located.set(src.cpu, (located.get(src.cpu) ?? 0) + src.lostBefore);
      }
      rec.bytes = src.page;
      rec.view = src.view;
      rec.at = src.at;
      rec.length = src.length;
      const type = src.view.getUint16(src.at, true);
      const cls = classes.get(type);
      if (!cls) {
        unknownRecords++;
      } else {
        rec.source = `${src.label} spooled page ${src.pageNumber}`;
        const tid = src.view.getInt32(src.at + 4, true);
        const mark = w.mark();
        try {
          tasks.observe(type, rec as RecordView);
          const out = w.beginEvent(cls.ctfId, src.ts);
          out.i32(tasks.pidOf(tid));
          out.i32(tid);
          out.raw(commBytes(tasks.commOf(tid, src.cpu)));
          out.u8(src.view.getUint8(src.at + 2));
          out.u8(src.view.getUint8(src.at + 3));
          const writersList = cls.mapped.writers;
          for (let i = 0; i < writersList.length; i++) writersList[i]!(out, rec as RecordView, tasks);
          perCpu[src.cpu]!.written++;
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
          w.rollback(mark);
          corruptRecords++;
          firstCorruption ??= err.message;
        }
      }
      let more = false;
      try {
        more = src.next();
      } catch (err) {
        if (!(err instanceof FormatError)) throw err;
        // A corrupt page: skip the rest of this CPU's spool rather than lose the bundle.
        corruptRecords++;
        firstCorruption ??= err.message;
      }
      if (more) {
        item.ts = src.ts;
        heap.updateTop();
      } else {
        heap.pop();
      }
    }
    // Losses the kernel counted but no page located with a count (pages that only flag a
    // loss, events left unread or unstored) are reported at the end of the stream.
    for (const cpu of cpus) {
      const kernel = input.kernelLost.get(cpu) ?? 0;
      const got = located.get(cpu) ?? 0;
      if (kernel > got) writers.get(cpu)!.addDiscarded(kernel - got, input.endMonotonicNs);
    }
  } catch (err) {
    if (!(err instanceof DiskFullError)) throw err;
    diskFull = true;
    // What was not converted is lost: count it, then free the spool's space so the streams
    // can be closed and the metadata written.
    for (const src of sources) notConverted.set(src.cpu, src.countRemaining());
    rmSync(input.spoolDir, { recursive: true, force: true });
  }

  let clamped = 0;
  for (const [cpu, w] of writers) {
    try {
      w.close(input.endMonotonicNs);
    } catch (err) {
      if (!(err instanceof DiskFullError)) throw err;
      diskFull = true;
      notConverted.set(cpu, (notConverted.get(cpu) ?? 0) + w.unwrittenEvents);
      w.abandon();
    }
    clamped += w.clampedTimestamps;
    try {
      writePacketIndex(join(input.outDir, 'index', `channel0_${cpu}.idx`), w.index);
    } catch {
      // The index is an accelerator; readers do without it.
      const idx = join(input.outDir, 'index', `channel0_${cpu}.idx`);
      if (existsSync(idx)) unlinkSync(idx);
    }
  }
  // Losses: what the kernel counted (located by pages or not) and what the disk could not take.
  for (const cpu of cpus) {
    const kernel = input.kernelLost.get(cpu) ?? 0;
    const got = located.get(cpu) ?? 0;
    perCpu[cpu]!.lost = Math.max(kernel, got) + (notConverted.get(cpu) ?? 0);
  }
  // Metadata last: on a full disk the caller frees its reserve first.
  if (diskFull) freeReserve();
  writeLttngMetadata(join(input.outDir, 'metadata'), metadataText, uuid);
  const lostEvents = Object.values(perCpu).reduce((s, c) => s + c.lost, 0);
  const eventsWritten = Object.values(perCpu).reduce((s, c) => s + c.written, 0);
  return {
    eventsWritten,
    statedumpEvents: statedumpWritten,
    perCpu,
    lostEvents,
    clampedTimestamps: clamped,
    unknownRecords,
    corruptRecords,
    firstCorruption,
    diskFull,
    uuid,
  };
}
