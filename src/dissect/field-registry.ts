/**
 * All protocol field tables in one place, plus one presence field per protocol (`tcp`,
 * `ipv6`, …). Consumers (the display filter, the UI) look fields up here by name.
 */
import type { FieldType, FieldValue, LayerFieldDef, ProtocolFields } from './fields.js';
import { ICMP_FIELDS, ICMPV6_FIELDS } from './icmp.js';
import { IPV4_FIELDS } from './ipv4.js';
import { IPV6_DSTOPTS_FIELDS, IPV6_FIELDS, IPV6_FRAGMENT_FIELDS, IPV6_HOPOPTS_FIELDS, IPV6_ROUTING_FIELDS } from './ipv6.js';
import { ETHERNET_FIELDS, NULL_FIELDS, SLL2_FIELDS, SLL_FIELDS, VLAN_FIELDS } from './link.js';
import { PROTOCOL_NAMES, type PacketSummary } from './summary.js';
import { TCP_FIELDS } from './tcp.js';
import { UDP_FIELDS } from './udp.js';

export const PROTOCOL_FIELD_TABLES: readonly ProtocolFields[] = [
  ETHERNET_FIELDS,
  VLAN_FIELDS,
  SLL_FIELDS,
  SLL2_FIELDS,
  NULL_FIELDS,
  IPV4_FIELDS,
  IPV6_FIELDS,
  IPV6_HOPOPTS_FIELDS,
  IPV6_ROUTING_FIELDS,
  IPV6_FRAGMENT_FIELDS,
  IPV6_DSTOPTS_FIELDS,
  TCP_FIELDS,
  UDP_FIELDS,
  ICMP_FIELDS,
  ICMPV6_FIELDS,
];

/** A dissector field resolved for a frame: every occurrence, in layer order. */
export interface DissectField {
  readonly name: string;
  readonly type: FieldType;
  readonly description: string;
  /** Appends the field's values in `s` to `out`. */
  values(s: PacketSummary, out: FieldValue[]): void;
}

function layerField(proto: number, def: LayerFieldDef): DissectField {
  return {
    name: def.name,
    type: def.type,
    description: def.description,
    values(s, out) {
      for (let i = 0; i < s.layerCount; i++) {
        if (s.layerProto[i] !== proto) continue;
        const v = def.get(s, i);
        if (v === undefined) continue;
        if (Array.isArray(v)) out.push(...v);
        else out.push(v);
      }
    },
  };
}

function protocolField(proto: number, name: string): DissectField {
  return {
    name,
    type: 'protocol',
    description: `The ${name} protocol is present`,
    values(s, out) {
      for (let i = 0; i < s.layerCount; i++) {
        if (s.layerProto[i] !== proto) continue;
        // The value of a protocol field is its bytes, for `contains`.
        out.push(s.layerBuf[i]!.subarray(s.layerOffset[i]!, Math.max(s.layerOffset[i]!, s.layerEnd[i]!)));
      }
    },
  };
}

let registry: Map<string, DissectField> | undefined;

/** Every dissector field by filter name (built once). */
export function dissectFields(): ReadonlyMap<string, DissectField> {
  if (registry) return registry;
  const m = new Map<string, DissectField>();
  PROTOCOL_NAMES.forEach((name, id) => {
    if (name) m.set(name, protocolField(id, name));
  });
  for (const table of PROTOCOL_FIELD_TABLES) {
    for (const def of table.fields) {
      const f = layerField(table.proto, def);
      const existing = m.get(def.name);
      // sll.* names are shared by SLL and SLL2: merge their readers.
      if (existing && existing.type !== 'protocol') {
        m.set(def.name, {
          ...f,
          values(s, out) {
            existing.values(s, out);
            f.values(s, out);
          },
        });
      } else m.set(def.name, f);
    }
  }
  registry = m;
  return m;
}
