/**
 * A semantic or syntax error in a metadata stream, located by a character offset of the
 * metadata text. The trace loader turns it into a FormatError naming the metadata file
 * and the byte offset in that file (packetized metadata is mapped back to file bytes).
 */
export class MetadataError extends Error {
  constructor(
    message: string,
    /** Character offset in the metadata text, when known. */
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}
