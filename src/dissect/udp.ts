/**
 * UDP header. The payload is not dissected further (tunnels are out of scope), but its
 * bytes are reachable through the layer for filters and follow.
 */
import { u16 } from './bytes.js';
import type { Dissector } from './dissector.js';
import { Proto } from './summary.js';

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
    s.markMalformed('UDP header cut short');
    return;
  }
  s.srcPort = u16(b, off);
  s.dstPort = u16(b, off + 2);
  if (end - off < 8) {
    s.markMalformed('UDP header cut short');
    return;
  }
  s.udpLength = u16(b, off + 4);
}
