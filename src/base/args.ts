/**
 * Command-line parsing on top of Node's `util.parseArgs`, turning its exceptions into
 * one-line usage errors. Each command declares its options once; `--help` is built in.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface Parsed<O extends OptionSpec> {
  values: { [K in keyof O]?: O[K] extends { type: 'boolean' } ? (O[K] extends { multiple: true } ? boolean[] : boolean) : O[K] extends { multiple: true } ? string[] : string } & { help?: boolean };
  positionals: string[];
}

/** Parses `argv` for `command`; throws UsageError with a one-line message on bad flags. */
export function parseCommandArgs<O extends OptionSpec>(command: string, argv: string[], options: O, allowPositionals = true): Parsed<O> {
  try {
    const r = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals, strict: true });
    return r as unknown as Parsed<O>;
  } catch (err) {
    const msg = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, '');
    throw new UsageError(`${command}: ${msg} (see \`tracewire ${command} --help\`)`);
  }
}

/** Parses a non-negative integer flag value or throws a UsageError naming the flag. */
export function intOption(command: string, flag: string, value: string | undefined, fallback?: number): number | undefined {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${command}: --${flag} needs a non-negative integer, got '${value}'`);
  return Number(value);
}

/** Checks that `value` is one of `choices`, or throws a UsageError. */
export function choiceOption<T extends string>(command: string, flag: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${command}: --${flag} must be one of ${choices.join(', ')}; got '${value}'`);
  return value as T;
}

/** Parses a TCP/UDP port flag (0–65535) or throws a UsageError naming the flag. */
export function portOption(command: string, flag: string, value: string | undefined): number | undefined {
  const port = intOption(command, flag, value);
  if (port !== undefined && port > 65535) throw new UsageError(`${command}: --${flag} must be a port number (0–65535), got ${port}`);
  return port;
}
