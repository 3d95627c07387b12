/**
 * Reading a whole file only when its open descriptor's status allows it (owner and mode
 * of a cache entry, size of an index): checked on the file that is read, so a rename
 * between the check and the read cannot swap it. CommonJS, for the fast start
 * (src/cli/fast-start.cts) as for the ES modules, which import it as `read-file-if.cjs`.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';

/**
 * The content of `path`, or null when it cannot be opened or `accept` refuses its status.
 * Errors while reading are thrown.
 */
export function readFileIf(path: string, accept: (st: Stats) => boolean): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    return accept(fstatSync(fd)) ? readFileSync(fd) : null;
  } finally {
    closeSync(fd);
  }
}
