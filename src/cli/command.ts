/**
 * The contract of a CLI command module (src/cli/<name>.ts). The dispatcher in main.ts
 * loads a module only when its command runs, so start-up stays fast.
 */
export interface CommandModule {
  /** Full `--help` text. */
  readonly help: string;
  /**
   * Runs the command with the arguments after its name. Resolves to the exit status.
   * Bad input or usage throws a TracewireError (one line on stderr, its exit code).
   */
  run(argv: string[]): Promise<number>;
}
