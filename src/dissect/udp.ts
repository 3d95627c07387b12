/**
 * UDP header. The payload is not dissected further (tunnels are out of scope), but its
 * bytes are reachable through the layer for filters and follow.
 */
import { u16 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { Proto } from './summary.js';
import { layerBytes, layerUint, type ProtocolFields } from './fields.js';

export function decodeUdp(d: Dissector, b: Uint8Array, off: number, end: number, rep: number, inError: boolean): void {
  const s = d.s;
  const first = s.transport === 0;
  const layer = s.pushLayer(Proto.UDP, b, off, 8, end, inError);
  if (layer < 0 || !first) return;
  s.transport = Proto.UDP;
  s.transportLayer = layer;
  s.inError = inError;
  s.transportBuf = b;
  s.transportOffset = off;
  s.transportEnd = end;
  s.transportLength = rep - off;
  if (end - off < 4) {
    s.cutShort('UDP header cut short', end, rep);
    return;
  }
  s.srcPort = u16(b, off);
  s.dstPort = u16(b, off + 2);
  if (end - off < 8) {
    s.cutShort('UDP header cut short', end, rep);
    return;
  }
  s.udpLength = u16(b, off + 4);
}

export const UDP_FIELDS: ProtocolFields = {
  proto: Proto.UDP,
  fields: [
    { name: 'udp.srcport', type: 'uint', description: 'Source port', get: (s, l) => layerUint(s, l, 0, 2) },
    { name: 'udp.dstport', type: 'uint', description: 'Destination port', get: (s, l) => layerUint(s, l, 2, 2) },
    {
      name: 'udp.port',
      type: 'uint',
      description: 'Source or destination port',
      get: (s, l) => [layerUint(s, l, 0, 2), layerUint(s, l, 2, 2)].filter((x): x is number => x !== undefined),
    },
    { name: 'udp.length', type: 'uint', description: 'Length (header and payload)', get: (s, l) => layerUint(s, l, 4, 2) },
    { name: 'udp.checksum', type: 'uint', description: 'Checksum', get: (s, l) => layerUint(s, l, 6, 2) },
    {
      name: 'udp.payload',
      type: 'bytes',
      description: 'Payload bytes (as captured)',
      get: (s, l) => {
        const n = s.layerEnd[l]! - s.layerOffset[l]! - 8;
        return n > 0 ? layerBytes(s, l, 8, n) : undefined;
      },
    },
  ],
};
