/**
 * How ncat ends on a problem. ncat has two ways, and scripts tell them apart by status:
 * `bye()` — bad usage or a local set-up failure (bad option, bind failed, idle timeout in
 * listen mode) — prints `Ncat: MESSAGE QUITTING.` and exits 2; a network failure
 * (connection refused, reset, timeout) prints `Ncat: MESSAGE` and exits 1.
 */
export class NcatExit extends Error {
  override readonly name = 'NcatExit';
  /** Exit status: 2 for `quit`, 1 for `fail`, or what the caller chose. */
  readonly status: number;
  /** The full line for stderr without its newline (`Ncat: ...`), or '' to print nothing. */
  readonly line: string;

  constructor(status: number, line: string) {
    super(line || `exit ${status}`);
    this.status = status;
    this.line = line;
  }

  /** ncat's `bye()`: `Ncat: MESSAGE QUITTING.`, status 2. */
  static quit(message: string): NcatExit {
    return new NcatExit(2, `Ncat: ${message} QUITTING.`);
  }

  /** A network failure: `Ncat: MESSAGE`, status 1. */
  static fail(message: string): NcatExit {
    return new NcatExit(1, `Ncat: ${message}`);
  }
}
