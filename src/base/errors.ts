/**
 * Errors tracewire expects to meet: bad input files, wrong flags, missing privileges.
 * The CLI turns any of them into exactly one line on stderr and a non-zero exit status;
 * anything else is a bug and is reported as an internal error.
 */

/** Exit status for bad input, bad usage or a missing privilege. */
export const EXIT_BAD_INPUT = 2;

export class TracewireError extends Error {
  override readonly name: string = 'TracewireError';
  /** Process exit status the CLI uses for this error. */
  readonly exitCode: number;

  constructor(message: string, exitCode = EXIT_BAD_INPUT) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Wrong command-line usage (unknown flag, missing argument). */
export class UsageError extends TracewireError {
  override readonly name = 'UsageError';
}

/**
 * A file whose content is damaged or not in the expected format. `offset` is the byte
 * offset in `file` where the problem was found, when known.
 */
export class FormatError extends TracewireError {
  override readonly name = 'FormatError';
  readonly file: string;
  readonly offset: number | undefined;
  readonly reason: string;

  constructor(file: string, offset: number | undefined, reason: string) {
    super(`${file}${offset === undefined ? '' : ` at byte ${offset}`}: ${reason}`);
    this.file = file;
    this.offset = offset;
    this.reason = reason;
  }
}

/** The operation needs something this machine or user does not have (root, tracefs, netns). */
export class PrivilegeError extends TracewireError {
  override readonly name = 'PrivilegeError';
}

/** One line describing `err` for stderr, without a stack trace. */
export function describeError(err: unknown): string {
  if (err instanceof TracewireError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR') {
      const path = (err as NodeJS.ErrnoException).path;
      const what = { ENOENT: 'no such file or directory', EACCES: 'permission denied', EISDIR: 'is a directory', ENOTDIR: 'not a directory' }[code];
      return path ? `${path}: ${what}` : err.message;
    }
    return `internal error: ${err.message}`;
  }
  return `internal error: ${String(err)}`;
}
