/**
 * ncat's diagnostics on stderr: `Ncat: ...` lines from `loguser` (shown always for errors,
 * with `-v` for progress) and `NCAT DEBUG: ...` lines from `logdebug` (each `-v` after the
 * first adds a debug level). Keeping ncat's prefixes lets scripts and the demo read our
 * messages exactly like ncat's.
 */
export class NcatLog {
  /**
   * @param write receives whole lines, newline included
   * @param verbosity the number of `-v` options
   */
  constructor(private readonly write: (text: string) => void, readonly verbosity: number) {}

  /** ncat's `o.verbose`. */
  get verbose(): boolean {
    return this.verbosity >= 1;
  }

  /** ncat's `o.debug`: 0 with at most one `-v`. */
  get debugLevel(): number {
    return Math.max(0, this.verbosity - 1);
  }

  /** `Ncat: MESSAGE`, whatever the verbosity (errors, warnings). */
  user(message: string): void {
    this.write(`Ncat: ${message}\n`);
  }

  /** `Ncat: MESSAGE` with `-v` (progress: listening, connected, connection from). */
  info(message: string): void {
    if (this.verbose) this.user(message);
  }

  /** `NCAT DEBUG: MESSAGE` when the debug level is at least `level` (`-vv` = 1). */
  debug(message: string, level = 1): void {
    if (this.debugLevel >= level) this.write(`NCAT DEBUG: ${message}\n`);
  }

  /** A full line as is (already prefixed), e.g. from NcatExit. */
  line(text: string): void {
    if (text) this.write(text.endsWith('\n') ? text : `${text}\n`);
  }
}
