/**
 * The Packets view's data: one row per frame of each capture (Wireshark's list columns
 * plus tcp.stream, flags and expert bits for colouring and linking), kept in columns,
 * and the detail tree of one frame, built from the dissectors' field tables. Frames are
 * analysed by the shared pipeline (`PacketStream`: dissection + Wireshark-compatible TCP
 * analysis) — the same code `tracewire packets` prints with.
 */
import { statSync } from 'node:fs';
import { formatIpv4, formatIpv6At, formatMac } from '../dissect/bytes.js';
import { macName } from '../dissect/mac-names.js';
import { PROTOCOL_FIELD_TABLES } from '../dissect/field-registry.js';
import type { FieldType, FieldValue } from '../dissect/fields.js';
import { PROTOCOL_NAMES, Proto, TcpFlag, type PacketSummary } from '../dissect/summary.js';
import { tcpFlagNames } from '../dissect/tcp.js';
import { analysisNames, effectiveExpertFlags } from '../analysis/tcp/expert.js';
import { infoText, protocolName } from '../analysis/tcp/packet-columns.js';
import { packetFields } from '../analysis/tcp/packet-fields.js';
import { PacketStream, type AnalyzedPacket } from '../analysis/tcp/packet-stream.js';
import { compileFilter } from '../filter/index.js';
import { openCapture } from '../pcap/index.js';
import type { ConversationRow, DetailNode, PacketRow } from './api-types.js';
import type { CaptureInput } from './inputs.js';
import { yieldToEventLoop, type ProgressTracker } from './progress.js';
import { timeHistogram } from './time-column.js';
import { grownColumn } from '../analysis/kernel/typed-columns.js';

interface CaptureState {
  readonly input: CaptureInput;
  readonly first: number;
  count: number;
}


function addressText(s: PacketSummary, which: 'src' | 'dst'): string {
  if (s.hasIpv4 && s.ipVersion === 4) return formatIpv4(which === 'src' ? s.ipv4Src : s.ipv4Dst);
  if (s.hasIpv6 && s.ipv6Buf) return formatIpv6At(s.ipv6Buf, which === 'src' ? s.ipv6SrcOffset : s.ipv6DstOffset);
  const eth = s.findLayer(Proto.ETH);
  if (eth >= 0 && s.layerEnd[eth]! - s.layerOffset[eth]! >= 14) return macName(s.layerBuf[eth]!, s.layerOffset[eth]! + (which === 'src' ? 6 : 0));
  return '';
}

function valueText(type: FieldType, v: FieldValue): string {
  if (typeof v === 'boolean') return v ? 'Set' : 'Not set';
  if (v instanceof Uint8Array) {
    if (type === 'ipv6' && v.length === 16) return formatIpv6At(v, 0);
    if (type === 'ether' && v.length === 6) return formatMac(v, 0);
    const hex = Array.from(v.subarray(0, 64), (b) => b.toString(16).padStart(2, '0')).join(':');
    return v.length > 64 ? `${hex}…` : hex;
  }
  if (type === 'ipv4' && typeof v === 'number') return formatIpv4(v);
  return String(v);
}

/** Aggregate fields Wireshark hides in the tree (they repeat src/dst). */
const HIDDEN_FIELDS = /^(ip\.addr|ipv6\.addr|eth\.addr|tcp\.port|udp\.port|sll\.addr|ip\.host|ipv6\.host)$/;

export class PacketTable {
  count = 0;
  time = new Float64Array(1024);
  no = new Uint32Array(1024);
  cap = new Uint16Array(1024);
  len = new Uint32Array(1024);
  stream = new Int32Array(1024);
  tcpFlags = new Uint16Array(1024);
  expert = new Uint32Array(1024);
  protoId = new Uint8Array(1024);
  srcId = new Uint32Array(1024);
  dstId = new Uint32Array(1024);
  ifaceId = new Uint16Array(1024);
  info: string[] = [];
  private readonly strings: string[] = [];
  private readonly stringIds = new Map<string, number>();
  readonly protos: string[] = [];
  readonly captures: CaptureState[] = [];
  readonly ifaceNames: string[] = [];
  readonly conversations: ConversationRow[] = [];
  sorted = true;
  private readonly filterCache = new Map<string, Int32Array>();
  private readonly detailCache = new Map<number, { tree: DetailNode[]; bytes: string }>();

  constructor(private readonly base: bigint) {}

  private intern(s: string): number {
    let id = this.stringIds.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.stringIds.set(s, id);
    }
    return id;
  }

  /** Relative trace time of a frame of capture `input`. */
  private relTime(input: CaptureInput, sec: number, nsec: number): number {
    // sec·1e9 + nsec − offset − base, computed without bigint per frame: split base+offset once.
    const o = this.offsets.get(input)!;
    return (sec - o.sec) * 1e9 + (nsec - o.nsec);
  }

  private readonly offsets = new Map<CaptureInput, { sec: number; nsec: number }>();

  /** Reads every frame of `inputs` through dissection and TCP analysis. */
  static async build(inputs: readonly CaptureInput[], base: bigint, progress: ProgressTracker): Promise<PacketTable> {
    const table = new PacketTable(base);
    let total = 0;
    for (const c of inputs) total += statSync(c.path).size;
    progress.update('packets', { state: 'running', total, unit: 'bytes' });
    let doneBefore = 0;
    for (const input of inputs) {
      const shift = base + input.offsetNs;
      table.offsets.set(input, { sec: Number(shift / 1_000_000_000n), nsec: Number(shift % 1_000_000_000n) });
      const state: CaptureState = { input, first: table.count, count: 0 };
      const ci = table.captures.length;
      table.captures.push(state);
      const capture = openCapture(input.path);
      const ifaceBase = table.ifaceNames.length;
      try {
        const ps = new PacketStream(capture);
        let lastYield = Date.now();
        let last = -Infinity;
        for (const p of ps.packets()) {
          const t = table.relTime(input, p.frame.tsSec, p.frame.tsNsec);
          if (t < last) table.sorted = false;
          last = t;
          while (table.ifaceNames.length <= ifaceBase + p.frame.interfaceId) {
            const ifc = capture.interfaces[table.ifaceNames.length - ifaceBase];
            table.ifaceNames.push(ifc?.name ?? `if${table.ifaceNames.length - ifaceBase}`);
          }
          table.push(ci, t, p, ifaceBase);
          state.count++;
          if ((state.count & 1023) === 0 && Date.now() - lastYield > 30) {
            progress.update('packets', { done: doneBefore + p.frame.fileOffset, label: `Analysing packets (${table.count.toLocaleString('en-US')})` });
            await yieldToEventLoop();
            lastYield = Date.now();
          }
        }
        for (const c of ps.tcp.conversations) {
          if (!c) continue;
          const t0 = table.rowOfFrame(ci, c.firstFrame);
          const t1 = table.rowOfFrame(ci, c.lastFrame);
          const flags = [c.synSeen ? 'SYN' : '', c.finSeen ? 'FIN' : '', c.rstSeen ? 'RST' : ''].filter(Boolean).join(' ');
          table.conversations.push({
            stream: c.stream,
            capture: ci,
            addressA: c.addressA,
            portA: c.portA,
            addressB: c.addressB,
            portB: c.portB,
            frames: c.framesAtoB + c.framesBtoA,
            bytes: c.bytesAtoB + c.bytesBtoA,
            t0: t0 >= 0 ? table.time[t0]! : 0,
            t1: t1 >= 0 ? table.time[t1]! : 0,
            flags,
          });
        }
      } finally {
        capture.close();
      }
      doneBefore += statSync(input.path).size;
    }
    progress.update('packets', { state: 'done', done: total, label: `Analysed ${table.count.toLocaleString('en-US')} packets` });
    return table;
  }

  private push(ci: number, t: number, p: AnalyzedPacket, ifaceBase: number): void {
    if (this.count === this.time.length) this.grow();
    const i = this.count++;
    const s = p.summary;
    this.time[i] = t;
    this.no[i] = p.frame.number;
    this.cap[i] = ci;
    this.len[i] = p.frame.len;
    this.stream[i] = p.tcp.stream;
    this.tcpFlags[i] = s.transport === Proto.TCP && s.tcpStage >= 2 ? s.tcpFlags : 0;
    this.expert[i] = p.tcp.analysed ? effectiveExpertFlags(p.tcp.expert) : 0;
    const proto = protocolName(s);
    let pid = this.protos.indexOf(proto);
    if (pid < 0) pid = this.protos.push(proto) - 1;
    this.protoId[i] = pid;
    this.srcId[i] = this.intern(addressText(s, 'src'));
    this.dstId[i] = this.intern(addressText(s, 'dst'));
    this.ifaceId[i] = ifaceBase + p.frame.interfaceId;
    this.info.push(infoText(p));
  }

  private grow(): void {
    const n = this.time.length * 2;
    this.time = grownColumn(this.time, n);
    this.no = grownColumn(this.no, n);
    this.cap = grownColumn(this.cap, n);
    this.len = grownColumn(this.len, n);
    this.stream = grownColumn(this.stream, n);
    this.tcpFlags = grownColumn(this.tcpFlags, n);
    this.expert = grownColumn(this.expert, n);
    this.protoId = grownColumn(this.protoId, n);
    this.srcId = grownColumn(this.srcId, n);
    this.dstId = grownColumn(this.dstId, n);
    this.ifaceId = grownColumn(this.ifaceId, n);
  }

  /** Row index of frame `no` of capture `ci`, or -1. */
  rowOfFrame(ci: number, no: number): number {
    const c = this.captures[ci];
    if (!c || no < 1 || no > c.count) return -1;
    return c.first + no - 1;
  }

  row(i: number): PacketRow {
    const f = this.tcpFlags[i]!;
    return {
      id: i,
      no: this.no[i]!,
      capture: this.cap[i]!,
      t: this.time[i]!,
      src: this.strings[this.srcId[i]!]!,
      dst: this.strings[this.dstId[i]!]!,
      proto: this.protos[this.protoId[i]!]!,
      len: this.len[i]!,
      info: this.info[i]!,
      stream: this.stream[i]!,
      flags: f ? tcpFlagNames(f).split(', ') : [],
      expert: this.expert[i] ? analysisNames(this.expert[i]!) : [],
      iface: this.ifaceNames[this.ifaceId[i]!] ?? '',
    };
  }

  /** Packet counts in `buckets` equal slices of [t0, t1). */
  histogram(t0: number, t1: number, buckets: number): number[] {
    return timeHistogram(this.time, this.count, this.sorted, t0, t1, buckets);
  }

  /**
   * Rows a display filter (Wireshark's language, `src/filter`) accepts, or null for no
   * filter. Throws FilterError on a bad expression. Re-runs the capture pipeline once per
   * new expression (cached).
   */
  async filter(expr: string): Promise<Int32Array | null> {
    const text = expr.trim();
    if (!text) return null;
    const cached = this.filterCache.get(text);
    if (cached) return cached;
    const pred = compileFilter<AnalyzedPacket>(text, (n) => packetFields().get(n));
    const out: number[] = [];
    for (let ci = 0; ci < this.captures.length; ci++) {
      const c = this.captures[ci]!;
      const capture = openCapture(c.input.path);
      try {
        let k = 0;
        let lastYield = Date.now();
        for (const p of new PacketStream(capture).packets()) {
          if (pred(p)) out.push(c.first + k);
          k++;
          if ((k & 1023) === 0 && Date.now() - lastYield > 30) {
            await yieldToEventLoop();
            lastYield = Date.now();
          }
        }
      } finally {
        capture.close();
      }
    }
    const result = Int32Array.from(out);
    if (this.filterCache.size > 16) this.filterCache.delete(this.filterCache.keys().next().value!);
    this.filterCache.set(text, result);
    return result;
  }

  /** The detail tree and hex bytes of row `i`, like Wireshark's packet details pane. */
  async detail(i: number): Promise<{ row: PacketRow; tree: DetailNode[]; bytes: string } | null> {
    if (i < 0 || i >= this.count) return null;
    const cached = this.detailCache.get(i);
    if (cached) return { row: this.row(i), ...cached };
    const c = this.captures[this.cap[i]!]!;
    const target = this.no[i]!;
    const capture = openCapture(c.input.path);
    let result: { tree: DetailNode[]; bytes: string } | null = null;
    try {
      let k = 0;
      let lastYield = Date.now();
      for (const p of new PacketStream(capture).packets()) {
        if (p.frame.number === target) {
          result = { tree: this.buildTree(p, i), bytes: Buffer.from(p.frame.data).toString('hex') };
          break;
        }
        if ((++k & 1023) === 0 && Date.now() - lastYield > 30) {
          await yieldToEventLoop();
          lastYield = Date.now();
        }
      }
    } finally {
      capture.close();
    }
    if (!result) return null;
    if (this.detailCache.size > 64) this.detailCache.delete(this.detailCache.keys().next().value!);
    this.detailCache.set(i, result);
    return { row: this.row(i), ...result };
  }

  private buildTree(p: AnalyzedPacket, i: number): DetailNode[] {
    const s = p.summary;
    const f = p.frame;
    const abs = this.base + BigInt(Math.round(this.time[i]!));
    const frameNode: DetailNode = {
      label: `Frame ${f.number}: ${f.len} bytes on wire, ${f.caplen} bytes captured${p.iface.name ? ` on interface ${p.iface.name}` : ''}`,
      field: 'frame',
      start: 0,
      length: f.caplen,
      children: [
        { label: `Arrival time (capture clock): ${new Date(f.tsSec * 1000).toISOString().replace('Z', '').replace(/\.\d+$/, '')}.${String(f.tsNsec).padStart(9, '0')} UTC`, field: 'frame.time' },
        { label: `Epoch time: ${f.tsSec}.${String(f.tsNsec).padStart(9, '0')} seconds`, field: 'frame.time_epoch' },
        { label: `Trace time: ${abs} ns from origin`, field: 'frame.time_trace' },
        { label: `Frame number: ${f.number}`, field: 'frame.number' },
        { label: `Frame length: ${f.len} bytes`, field: 'frame.len' },
        { label: `Capture length: ${f.caplen} bytes`, field: 'frame.cap_len' },
        { label: `Interface: ${p.iface.id}${p.iface.name ? ` (${p.iface.name})` : ''}`, field: 'frame.interface_id' },
        ...f.comments.map((c) => ({ label: `Comment: ${c}`, field: 'frame.comment' })),
        { label: `Protocols in frame: ${Array.from({ length: s.layerCount }, (_, k) => PROTOCOL_NAMES[s.layerProto[k]!]).join(':')}`, field: 'frame.protocols' },
      ],
    };
    const nodes: DetailNode[] = [frameNode];
    for (let l = 0; l < s.layerCount; l++) {
      const proto = s.layerProto[l]!;
      const table = PROTOCOL_FIELD_TABLES.find((t) => t.proto === proto);
      const name = PROTOCOL_NAMES[proto] ?? `proto ${proto}`;
      const start = s.layerOffset[l]!;
      const node: DetailNode = { label: this.layerTitle(p, l), field: name, children: [] };
      // Offsets are within the layer's buffer; for the frame's own buffer they are frame offsets.
      if (s.layerBuf[l] === f.data || (s.layerBuf[l]?.buffer === f.data.buffer && s.layerBuf[l]?.byteOffset === f.data.byteOffset)) {
        node.start = start;
        node.length = Math.max(0, (s.layerLength[l]! > 0 ? s.layerLength[l]! : s.layerEnd[l]! - start));
      }
      const byName = new Map<string, DetailNode>();
      for (const def of table?.fields ?? []) {
        if (HIDDEN_FIELDS.test(def.name)) continue;
        let v: FieldValue | FieldValue[] | undefined;
        try {
          v = def.get(s, l);
        } catch {
          continue;
        }
        if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
        const text = Array.isArray(v) ? v.map((x) => valueText(def.type, x)).join(', ') : valueText(def.type, v);
        const child: DetailNode = { label: `${def.description}: ${text}`, field: def.name };
        // Nest `tcp.flags.syn` under `tcp.flags`, like Wireshark's subtrees.
        const parentName = def.name.slice(0, def.name.lastIndexOf('.'));
        const parent = byName.get(parentName);
        if (parent) (parent.children ??= []).push(child);
        else node.children!.push(child);
        byName.set(def.name, child);
      }
      if (proto === Proto.TCP && l === s.transportLayer) this.addTcpAnalysis(p, node);
      nodes.push(node);
    }
    if (s.malformed) nodes.push({ label: `[Malformed Packet: ${s.malformed}]`, field: '_ws.malformed' });
    return nodes;
  }

  private layerTitle(p: AnalyzedPacket, l: number): string {
    const s = p.summary;
    const proto = s.layerProto[l]!;
    switch (proto) {
      case Proto.IPV4:
      case Proto.IPV6:
        return `Internet Protocol Version ${proto === Proto.IPV4 ? 4 : 6}, Src: ${addressText(s, 'src')}, Dst: ${addressText(s, 'dst')}`;
      case Proto.TCP:
        if (l === s.transportLayer) {
          const flags = tcpFlagNames(s.tcpFlags);
          return `Transmission Control Protocol, Src Port: ${s.srcPort}, Dst Port: ${s.dstPort}, Seq: ${p.tcp.seq}${s.tcpFlags & TcpFlag.ACK ? `, Ack: ${p.tcp.ack}` : ''}, Len: ${Math.max(0, p.tcp.payloadLength)} [${flags}]`;
        }
        return 'Transmission Control Protocol';
      case Proto.UDP:
        return `User Datagram Protocol, Src Port: ${s.srcPort}, Dst Port: ${s.dstPort}`;
      default:
        return (PROTOCOL_NAMES[proto] ?? 'Layer').toUpperCase();
    }
  }

  private addTcpAnalysis(p: AnalyzedPacket, node: DetailNode): void {
    const fields = packetFields();
    const names = ['tcp.stream', 'tcp.len', 'tcp.seq', 'tcp.nxtseq', 'tcp.ack', 'tcp.window_size', 'tcp.completeness'];
    const out: FieldValue[] = [];
    const rel: DetailNode[] = [];
    for (const n of names) {
      out.length = 0;
      const f = fields.get(n);
      f?.values(p, out);
      if (out.length) rel.push({ label: `${f!.description}: ${out.map((v) => valueText(f!.type, v)).join(', ')}`, field: n });
    }
    node.children!.unshift(...rel);
    const analysis: DetailNode[] = [];
    for (const n of ['tcp.analysis.acks_frame', 'tcp.analysis.ack_rtt', 'tcp.analysis.initial_rtt', 'tcp.analysis.duplicate_ack_num', 'tcp.analysis.duplicate_ack_frame']) {
      out.length = 0;
      const f = fields.get(n);
      f?.values(p, out);
      if (out.length) analysis.push({ label: `${f!.description}: ${out.map((v) => valueText(f!.type, v)).join(', ')}`, field: n });
    }
    if (p.tcp.analysed && p.tcp.expert) {
      for (const name of analysisNames(effectiveExpertFlags(p.tcp.expert))) analysis.push({ label: `Expert Info: ${name.replace(/_/g, ' ')}`, field: `tcp.analysis.${name}` });
    }
    if (analysis.length) node.children!.push({ label: '[SEQ/ACK analysis]', field: 'tcp.analysis', children: analysis });
  }
}

