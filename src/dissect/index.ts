/**
 * Packet dissection: link layers (Ethernet + 802.1Q, Linux cooked v1/v2, BSD loopback,
 * raw IPv4/IPv6), IPv4 (options, fragments), IPv6 (extension headers, jumbograms), TCP
 * (flags, options, MPTCP), UDP, ICMP/ICMPv6 — bounds-checked, each a small function
 * plus a table of its fields.
 *
 * Two ways in:
 * - `dissectFrame(frame, linkType)` → a `DissectedFrame` with every layer and its named
 *   fields, for inspection (UI detail view, tests).
 * - `new Dissector().decode(frame, linkType)` → the reused flat `PacketSummary`
 *   (addresses, ports, TCP seq/ack/flags/window/payload length/options, IP id, lengths),
 *   cheap enough for millions of frames.
 * Use one `Dissector` per capture, in frame order: it reassembles IP fragments.
 */
import { PROTOCOL_FIELD_TABLES } from './field-registry.js';
import type { FieldValue } from './fields.js';
import { Dissector, type FrameBytes } from './dissector.js';
import { PROTOCOL_NAMES, PacketSummary } from './summary.js';

export { Dissector, type FrameBytes } from './dissector.js';
export { PacketSummary, Proto, PROTOCOL_NAMES, TcpFlag, TcpStage, MptcpSubtype } from './summary.js';
export { dissectFields, PROTOCOL_FIELD_TABLES, type DissectField } from './field-registry.js';
export type { FieldType, FieldValue, LayerFieldDef, ProtocolFields } from './fields.js';
export { formatIpv4, formatIpv6At, formatMac, parseIpv4, parseIpv6 } from './bytes.js';
export { icmpDescription } from './icmp.js';
export { tcpFlagNames } from './tcp.js';

/** One protocol layer of a dissected frame. */
export interface DissectedLayer {
  /** Filter name of the protocol: `eth`, `vlan`, `sll`, `ip`, `ipv6`, `tcp`, `udp`, `icmp`, … */
  readonly protocol: string;
  /** Offset of the layer's header in `bytes` (the frame, or a reassembled datagram). */
  readonly offset: number;
  /** Header length in bytes (as far as known). */
  readonly headerLength: number;
  /** The bytes the layer lives in. */
  readonly bytes: Uint8Array;
  /** The layer is inside an ICMP error's quoted packet. */
  readonly inError: boolean;
  /** Field values by filter name (arrays for fields with several values). */
  readonly fields: Readonly<Record<string, FieldValue | FieldValue[]>>;
}

export interface DissectedFrame {
  readonly layers: readonly DissectedLayer[];
  /** The flat summary (a private copy: not reused). */
  readonly summary: PacketSummary;
  /** Why the frame is malformed, or null. */
  readonly malformed: string | null;
  /** The snap length cut a header short. */
  readonly truncated: boolean;
}

/**
 * Dissects one frame captured with `linkType` (LINKTYPE_*). Never throws on damaged
 * data: problems are reported in `malformed` / `truncated`, and the layers that could be
 * read are there. Pass the same `dissector` for consecutive frames of a capture to get
 * IP reassembly; by default each call stands alone.
 */
export function dissectFrame(frame: FrameBytes, linkType: number, dissector: Dissector = new Dissector()): DissectedFrame {
  const s = dissector.decode(frame, linkType, new PacketSummary());
  const layers: DissectedLayer[] = [];
  for (let i = 0; i < s.layerCount; i++) {
    const proto = s.layerProto[i]!;
    const fields: Record<string, FieldValue | FieldValue[]> = {};
    for (const table of PROTOCOL_FIELD_TABLES) {
      if (table.proto !== proto) continue;
      for (const def of table.fields) {
        const v = def.get(s, i);
        if (v !== undefined && !(Array.isArray(v) && v.length === 0)) fields[def.name] = v;
      }
    }
    layers.push({
      protocol: PROTOCOL_NAMES[proto]!,
      offset: s.layerOffset[i]!,
      headerLength: s.layerLength[i]!,
      bytes: s.layerBuf[i]!,
      inError: s.layerInError[i] === 1,
      fields,
    });
  }
  return { layers, summary: s, malformed: s.malformed, truncated: s.truncated };
}
