/**
 * Running one command module the way every tracewire command runs: `-h`/`--help` before
 * `--` prints its help, and an error becomes one line on stderr with its exit status
 * (70 for an internal error; the stack trace only with TRACEWIRE_DEBUG=1). Shared by the
 * dispatcher (main.ts) and the bundled commands that start without it (`events`, `ncat`:
 * scripts/build.mjs, fast-start.cts).
 */
import { describeError, TracewireError } from '../base/errors.js';
import type { CommandModule } from './command.js';

export async function runCommandModule(mod: CommandModule, argv: string[]): Promise<number> {
  // help flags count up to `--`: after it they belong to the command run by `record -- CMD`
  const end = argv.indexOf('--');
  const own = end < 0 ? argv : argv.slice(0, end);
  if (own.includes('--help') || own.includes('-h')) {
    // `ncat -h` is ncat's own help; other commands share the convention anyway.
    process.stdout.write(mod.help.endsWith('\n') ? mod.help : `${mod.help}\n`);
    return 0;
  }
  try {
    return await mod.run(argv);
  } catch (err) {
    if (process.env.TRACEWIRE_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    process.stderr.write(`tracewire: ${describeError(err)}\n`);
    return err instanceof TracewireError ? err.exitCode : 70;
  }
}

/** EPIPE on stdout (e.g. `tracewire events T | head`) is a normal end, not an error. */
export function endQuietlyOnEpipe(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
  });
}
