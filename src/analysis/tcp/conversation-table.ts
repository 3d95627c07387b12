/**
 * The text of `tshark -q -z conv,tcp` / `conv,udp`, reproduced exactly: rows sorted by
 * total frames (descending, ties in order of first appearance), sizes in Wireshark's
 * units (`17 kB`), start relative to the first frame of the capture, duration in
 * seconds.
 */
import type { TcpConversation } from './analyzer.js';
import type { UdpConversation } from './udp-conversations.js';

const RULE = '================================================================================';

/** Wireshark's format_size(…, FORMAT_SIZE_UNIT_BYTES, 0): `980 bytes`, `17 kB`, `3323 kB`, `12 MB`. */
export function formatSize(size: number): string {
  const p = 1000;
  if (Math.trunc(size / p / p / p / p) >= 10) return `${Math.trunc(size / p / p / p / p)} TB`;
  if (Math.trunc(size / p / p / p) >= 10) return `${Math.trunc(size / p / p / p)} GB`;
  if (Math.trunc(size / p / p) >= 10) return `${Math.trunc(size / p / p)} MB`;
  if (Math.trunc(size / p) >= 10) return `${Math.trunc(size / p)} kB`;
  return `${size} bytes`;
}

/** C's `%*.*f` for the non-negative and small negative values the table shows. */
function fixed(v: number, width: number, digits: number): string {
  return v.toFixed(digits).padStart(width);
}

interface Row {
  src: string;
  dst: string;
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  relStart: number;
  duration: number;
  order: number;
}

function relSeconds(sec: number, nsec: number, refSec: number, refNsec: number): number {
  let s = sec - refSec;
  let n = nsec - refNsec;
  if (n < 0 && s > 0) {
    s -= 1;
    n += 1e9;
  }
  return s + n / 1e9;
}

/**
 * Renders one table. `kind` is `TCP` or `UDP`; `ref` the first frame's time; `filter`
 * the text after `Filter:` (tshark prints `<No Filter>`).
 */
export function conversationTableText(
  kind: 'TCP' | 'UDP',
  conversations: readonly (TcpConversation | UdpConversation)[],
  refSec: number,
  refNsec: number,
  filter?: string,
): string {
  const rows: Row[] = [];
  for (const c of conversations) {
    const tcp = 'tableSourceIsA' in c;
    if (tcp && c.tableSourceIsA === null) continue;
    const sourceIsA = tcp ? c.tableSourceIsA! : true;
    // tshark writes IPv6 endpoints without brackets too: `::1:5000`.
    const aStr = `${c.addressA}:${c.portA}`;
    const bStr = `${c.addressB}:${c.portB}`;
    const start = relSeconds(c.startSec, c.startNsec, refSec, refNsec);
    const stop = relSeconds(c.endSec, c.endNsec, refSec, refNsec);
    rows.push({
      src: sourceIsA ? aStr : bStr,
      dst: sourceIsA ? bStr : aStr,
      txFrames: sourceIsA ? c.framesAtoB : c.framesBtoA,
      txBytes: sourceIsA ? c.bytesAtoB : c.bytesBtoA,
      rxFrames: sourceIsA ? c.framesBtoA : c.framesAtoB,
      rxBytes: sourceIsA ? c.bytesBtoA : c.bytesAtoB,
      relStart: start,
      duration: stop - start,
      order: tcp ? c.firstCountedFrame : c.firstFrame,
    });
  }
  rows.sort((a, b) => b.rxFrames + b.txFrames - (a.rxFrames + a.txFrames) || a.order - b.order);
  const pad = '            ';
  let out = `${RULE}\n${kind} Conversations\nFilter:${filter ?? '<No Filter>'}\n`;
  out += `${pad}                                               |       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n`;
  out += `${pad}                                               | Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n`;
  for (const r of rows) {
    out +=
      `${r.src.padEnd(26)} <-> ${r.dst.padEnd(26)}  ${String(r.rxFrames).padStart(6)} ${formatSize(r.rxBytes).padEnd(9)}` +
      `  ${String(r.txFrames).padStart(6)} ${formatSize(r.txBytes).padEnd(9)}` +
      `  ${String(r.rxFrames + r.txFrames).padStart(6)} ${formatSize(r.rxBytes + r.txBytes).padEnd(9)}  ` +
      `${fixed(r.relStart, 14, 9)}   ${fixed(r.duration, 12, 4)}\n`;
  }
  out += `${RULE}\n`;
  return out;
}
