/**
 * The capture model shared by the pcap and pcapng readers, the pcapng writer and every
 * consumer (dissectors, TCP analysis, correlation, UI). Time is bigint nanoseconds since
 * the Unix epoch; hot paths may read the same instant as `tsSec` + `tsNsec` numbers.
 */

/** A pcapng option kept verbatim (code and value bytes), for options tracewire does not interpret. */
export interface RawOption {
  readonly code: number;
  readonly value: Uint8Array;
}

/** Counters from the last interface statistics block (pcapng ISB) seen for an interface. */
export interface InterfaceStatistics {
  /** Time of the statistics block, ns since the epoch. */
  ts: bigint;
  received?: bigint;
  droppedByInterface?: bigint;
  acceptedByFilter?: bigint;
  droppedByOs?: bigint;
  deliveredToUser?: bigint;
  startTime?: bigint;
  endTime?: bigint;
  comments: string[];
}

/** One capture interface (a pcapng IDB; a pcap file has exactly one). */
export interface CaptureInterface {
  /** Index in `Capture.interfaces` (global across pcapng sections). */
  readonly id: number;
  /** pcapng section the interface belongs to (0 for pcap). */
  readonly section: number;
  /** Interface id as written in its section (what EPBs refer to). */
  readonly localId: number;
  /** LINKTYPE_* value. */
  readonly linkType: number;
  /** Maximum captured bytes per packet; 0 means unlimited. */
  readonly snapLen: number;
  /** if_tsresol byte: bit 7 clear → 10^-n s, set → 2^-n s. 6 (µs) when absent. */
  readonly tsResolution: number;
  /** Timestamp ticks per second derived from `tsResolution`. */
  readonly unitsPerSecond: bigint;
  /** if_tsoffset: seconds added to every timestamp. */
  readonly tsOffset: bigint;
  readonly name?: string;
  readonly description?: string;
  readonly filter?: string;
  readonly os?: string;
  readonly hardware?: string;
  /** if_fcslen: bytes of frame check sequence at the end of each frame, when known. */
  readonly fcsLength?: number;
  /** opt_comment values, in file order. */
  readonly comments: readonly string[];
  /** Options not listed above, kept verbatim so a round trip preserves them. */
  readonly otherOptions: readonly RawOption[];
  /** Last statistics block seen for this interface so far, if any. */
  statistics?: InterfaceStatistics;
}

/** A name-resolution record (pcapng NRB). */
export interface NameRecord {
  readonly family: 4 | 6;
  readonly address: string;
  readonly names: readonly string[];
}

/** A decryption-secrets block (pcapng DSB), e.g. a TLS key log. */
export interface DecryptionSecrets {
  /** Secrets type (0x544c534b = TLS key log, 0x57474b4c = WireGuard, …). */
  readonly type: number;
  readonly data: Uint8Array;
}

/**
 * One captured packet. `data` is a view into the reader's buffer: copy it (`slice()`)
 * if you keep many frames for long, since a view keeps its whole read chunk alive.
 */
export class CapturedFrame {
  constructor(
    /** 1-based frame number in file order. */
    readonly number: number,
    /** Whole seconds since the epoch. */
    readonly tsSec: number,
    /** Nanoseconds within the second, 0 … 999 999 999. */
    readonly tsNsec: number,
    /** Bytes captured (= data.length). */
    readonly caplen: number,
    /** Bytes on the wire. */
    readonly len: number,
    /** Index into `Capture.interfaces`. */
    readonly interfaceId: number,
    /** The read buffer holding the frame's bytes at `offset` (`data` is this range). */
    readonly buffer: Uint8Array,
    readonly offset: number,
    /** Packet comments (pcapng opt_comment), in file order. */
    readonly comments: readonly string[],
    /** Byte offset of the frame's record or block in the file. */
    readonly fileOffset: number,
    /** epb_flags / pack_flags word, when present. */
    readonly flags?: number,
    /** Other packet options, verbatim (drop count, packet id, hash, verdict, custom). */
    readonly otherOptions?: readonly RawOption[],
    /** Raw timestamp ticks (pcapng high/low words), for exact round trips. */
    readonly tsHigh = -1,
    readonly tsLow = -1,
    /** Frame-level damage found by the reader (e.g. captured length > wire length). */
    readonly damage?: string,
    /** False for pcapng simple packet blocks, which carry no time (`ts` is then 0). */
    readonly hasTimestamp = true,
  ) {}

  private view: Uint8Array | undefined;

  /** The captured bytes (a view made on first use; hot loops read `buffer` at `offset`). */
  get data(): Uint8Array {
    return (this.view ??= this.buffer.subarray(this.offset, this.offset + this.caplen));
  }

  /** Nanoseconds since the Unix epoch. */
  get ts(): bigint {
    return BigInt(this.tsSec) * 1_000_000_000n + BigInt(this.tsNsec);
  }
}

/** A readable capture file: its interfaces and a stream of frames. */
export interface Capture {
  readonly path: string;
  readonly format: 'pcap' | 'pcapng';
  /** Byte order of the (first) section: `le` or `be`. */
  readonly byteOrder: 'le' | 'be';
  /** pcap: `2.4`; pcapng: the first section's `1.0`. */
  readonly version: string;
  /** Interfaces seen so far. Those declared before the first packet are known right after
   *  `openCapture`; later sections' interfaces appear while `frames()` reads. */
  readonly interfaces: CaptureInterface[];
  /** Section header comments (pcapng shb opt_comment) of every section read so far. */
  readonly sectionComments: string[];
  /** shb_hardware / shb_os / shb_userappl of the first section. */
  readonly sectionInfo: { hardware?: string; os?: string; application?: string };
  /** Name-resolution records read so far. */
  readonly nameRecords: NameRecord[];
  /** Decryption secrets read so far. */
  readonly secrets: DecryptionSecrets[];
  /**
   * Streams the frames in file order. Reading is lazy and bounded in memory. File-level
   * damage (bad magic, a block running past the end, an absurd length) throws a
   * FormatError naming the byte offset — after every good frame before it was yielded.
   * Can be iterated once.
   */
  frames(): Iterable<CapturedFrame>;
  /**
   * Reads the next frame, or null at the end: the same stream as `frames()` without the
   * iterator protocol, for hot loops. Use one or the other.
   */
  next(): CapturedFrame | null;
  /** Releases the file descriptor (also done when iteration ends). */
  close(): void;
}
