/**
 * `--crlf`: every LF that does not follow a CR becomes CRLF. The state carries whether
 * the previous chunk ended in CR, so a CRLF split across two reads is left alone (ncat's
 * `fix_line_endings`). One instance per direction of one stream.
 */
export class CrlfTranslator {
  private lastWasCr = false;

  /** Returns `chunk` with bare LFs turned into CRLF (the same buffer when nothing changes). */
  translate(chunk: Buffer): Buffer {
    if (chunk.length === 0) return chunk;
    let bare = 0;
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] === 0x0a && (i === 0 ? !this.lastWasCr : chunk[i - 1] !== 0x0d)) bare++;
    }
    const prevWasCr = this.lastWasCr;
    this.lastWasCr = chunk[chunk.length - 1] === 0x0d;
    if (bare === 0) return chunk;
    const out = Buffer.allocUnsafe(chunk.length + bare);
    let j = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === 0x0a && (i === 0 ? !prevWasCr : chunk[i - 1] !== 0x0d)) out[j++] = 0x0d;
      out[j++] = byte;
    }
    return out;
  }
}
