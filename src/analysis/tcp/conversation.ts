/**
 * What a TCP and a UDP conversation share: the two endpoints (A sent the frame that
 * created the conversation), frames and bytes each way, and the time span of the frames
 * counted — the columns of tshark's `-z conv,tcp` / `conv,udp` tables.
 */
import { formatIpAt } from '../../dissect/bytes.js';
import type { PacketSummary } from '../../dissect/summary.js';

export class Conversation {
  readonly family: 4 | 6;
  readonly addrA: Uint8Array;
  readonly addrB: Uint8Array;
  readonly portA: number;
  readonly portB: number;
  framesAtoB = 0;
  framesBtoA = 0;
  bytesAtoB = 0;
  bytesBtoA = 0;
  /** Earliest and latest time of the counted frames (seconds + ns); 0 before the first. */
  startSec = 0;
  startNsec = 0;
  endSec = 0;
  endNsec = 0;

  /** Identity from the frame `s` (with IP addresses and ports) that creates it. */
  constructor(
    /** Index in order of creation (tcp.stream / udp.stream). */
    readonly stream: number,
    s: PacketSummary,
    readonly firstFrame: number,
  ) {
    this.family = s.addrFamily as 4 | 6;
    const n = this.family === 4 ? 4 : 16;
    this.addrA = s.addrBuf!.slice(s.addrSrcOffset, s.addrSrcOffset + n);
    this.addrB = s.addrBuf!.slice(s.addrDstOffset, s.addrDstOffset + n);
    this.portA = s.srcPort;
    this.portB = s.dstPort;
  }

  /** Text of endpoint A's / B's address. */
  get addressA(): string {
    return formatIpAt(this.family, this.addrA, 0);
  }

  get addressB(): string {
    return formatIpAt(this.family, this.addrB, 0);
  }

  /** Duration of the counted frames in ns. */
  get durationNs(): number {
    return (this.endSec - this.startSec) * 1e9 + (this.endNsec - this.startNsec);
  }

  /** Counts a frame of `len` bytes at (sec, nsec), sent by A when `fromA`. */
  countFrame(fromA: boolean, sec: number, nsec: number, len: number): void {
    if (this.framesAtoB + this.framesBtoA === 0) {
      this.startSec = this.endSec = sec;
      this.startNsec = this.endNsec = nsec;
    } else if (sec > this.endSec || (sec === this.endSec && nsec > this.endNsec)) {
      this.endSec = sec;
      this.endNsec = nsec;
    } else if (sec < this.startSec || (sec === this.startSec && nsec < this.startNsec)) {
      this.startSec = sec;
      this.startNsec = nsec;
    }
    if (fromA) {
      this.framesAtoB++;
      this.bytesAtoB += len;
    } else {
      this.framesBtoA++;
      this.bytesBtoA += len;
    }
  }
}
