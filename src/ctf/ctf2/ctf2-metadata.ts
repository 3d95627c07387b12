/**
 * CTF 2 metadata (JSON text sequence) → trace class model.
 */
import { MetadataError } from '../metadata/metadata-error.js';
import type { TraceClass } from '../metadata/model.js';

/** Parses CTF 2 metadata text; throws MetadataError. */
export function parseCtf2Metadata(_text: string): TraceClass {
  throw new MetadataError('CTF 2 metadata is not supported by this build', 0);
}
