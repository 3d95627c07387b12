/**
 * Capture files: open a pcap or pcapng file (or a tracewire bundle directory holding
 * `capture.pcapng`) and stream its frames; write pcapng.
 *
 * ```ts
 * const cap = openCapture('trace.pcapng');
 * for (const f of cap.frames()) console.log(f.number, f.ts, cap.interfaces[f.interfaceId]!.linkType);
 * writePcapng('out.pcapng', cap2.interfaces, framesWithComments);
 * ```
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeError, FormatError, TracewireError } from '../base/errors.js';
import { ChunkedFile } from './chunked-file.js';
import { isPcapMagic, PcapCapture } from './pcap-reader.js';
import { PcapngCapture } from './pcapng-reader.js';
import type { Capture } from './types.js';

export type { Capture, CaptureInterface, DecryptionSecrets, InterfaceStatistics, NameRecord, RawOption } from './types.js';
export { CapturedFrame } from './types.js';
export { PcapngWriter, writePcapng, type SectionOptions, type WriterFrame, type WriterInterface } from './pcapng-writer.js';
export { LinkType, linkTypeName, parseLinkType } from './link-types.js';

/** File name of the capture inside a tracewire bundle directory. */
export const BUNDLE_CAPTURE_FILE = 'capture.pcapng';

/**
 * Returns the capture file for `path`: the path itself, or `<dir>/capture.pcapng` when
 * `path` is a bundle directory. Throws a FormatError when a directory has no capture.
 */
export function resolveCapturePath(path: string): string {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const inner = join(path, BUNDLE_CAPTURE_FILE);
    if (!existsSync(inner)) throw new FormatError(path, undefined, `directory has no ${BUNDLE_CAPTURE_FILE} (not a tracewire bundle)`);
    return inner;
  }
  return path;
}

/**
 * Opens a pcap (either byte order, µs or ns) or pcapng capture — or a bundle directory's
 * `capture.pcapng` — and reads its header blocks, so `interfaces` lists every interface
 * declared before the first packet. Throws a FormatError (with the byte offset) when the
 * file is not a capture or its header is damaged, and Node's ENOENT/EACCES errors when it
 * cannot be opened. Call `frames()` once to stream the packets.
 */
export function openCapture(path: string): Capture {
  let file: ChunkedFile;
  try {
    file = new ChunkedFile(resolveCapturePath(path));
  } catch (err) {
    // A missing or unreadable file is bad input (exit 2), not an internal error.
    if (err instanceof TracewireError || !(err as NodeJS.ErrnoException).code) throw err;
    throw new TracewireError(describeError(err));
  }
  try {
    if (!file.ensure(4)) throw new FormatError(file.path, 0, `file too short to be a capture (${file.available} bytes)`);
    const b = file.buf;
    const magic = (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
    if (magic === 0x0a0d0d0a) return new PcapngCapture(file.path, file);
    if (isPcapMagic(magic)) return new PcapCapture(file.path, file);
    throw new FormatError(file.path, 0, `not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`);
  } catch (err) {
    file.close();
    throw err;
  }
}
