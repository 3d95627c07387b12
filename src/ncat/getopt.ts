/**
 * Command-line scanning with the rules of glibc's `getopt_long`, which is what nmap's ncat
 * uses: options and operands may be interleaved (operands are collected in order), `--`
 * ends the options, short options bundle (`-lkv`, `-w5`, `-vw 5`), a long option may be
 * abbreviated to any unambiguous prefix (`--list` = `--listen`), and takes its argument
 * as `--wait=5` or `--wait 5`. Matching ncat here matters because scripts written for
 * ncat (and the seed's `ncat --listen 192.168.1.105 5000`) must run unchanged.
 */

/** One long option, as in glibc's `struct option`. */
export interface LongOption {
  readonly name: string;
  readonly hasArg: boolean;
  /** What the option means: a short-option letter for aliases (`listen` → `l`), or the
   *  long name itself for long-only options. */
  readonly key: string;
  /**
   * glibc's identity of the option (`flag`/`val` of `struct option`): the short letter for
   * aliases, `flag:NAME` for options that set a flag, and `0` for the other long-only
   * options. Candidates of an abbreviation with equal `hasArg` and `identity` are the same
   * option to glibc, which then takes the first one (`--pro` → `--proxy`).
   */
  readonly identity: string;
}

/** One option found on the command line. */
export interface ScannedOption {
  /** The short letter or the long-only name (`LongOption.key`). */
  readonly key: string;
  /** The option's argument, when it takes one. */
  readonly value?: string;
  /** How the user spelled it (`-w`, `--wait`), for messages. */
  readonly spelling: string;
}

export interface ScanResult {
  readonly options: ScannedOption[];
  readonly operands: string[];
}

/** A command line that getopt rejects; `message` is glibc's wording without the program name. */
export class GetoptError extends Error {
  override readonly name = 'GetoptError';
}

/**
 * Scans `argv` (without the program name) against `shortSpec` (getopt syntax: a letter,
 * followed by `:` when it takes an argument) and `longOptions`. Returns the options in
 * command-line order and the operands in order. Throws GetoptError with glibc's message
 * (`unrecognized option '--x'`, `option requires an argument -- 'w'`, ...).
 */
export function scanOptions(argv: readonly string[], shortSpec: string, longOptions: readonly LongOption[]): ScanResult {
  const shortTakesArg = new Map<string, boolean>();
  for (let i = 0; i < shortSpec.length; i++) {
    const letter = shortSpec[i]!;
    if (letter === ':') continue;
    shortTakesArg.set(letter, shortSpec[i + 1] === ':');
  }
  const options: ScannedOption[] = [];
  const operands: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i++]!;
    if (arg === '--') {
      operands.push(...argv.slice(i));
      break;
    }
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const option = matchLongOption(name, longOptions);
      const spelling = `--${option.name}`;
      if (option.hasArg) {
        let value: string | undefined;
        if (eq >= 0) value = arg.slice(eq + 1);
        else if (i < argv.length) value = argv[i++];
        if (value === undefined) throw new GetoptError(`option '${spelling}' requires an argument`);
        options.push({ key: option.key, value, spelling });
      } else {
        if (eq >= 0) throw new GetoptError(`option '${spelling}' doesn't allow an argument`);
        options.push({ key: option.key, spelling });
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1) {
      for (let j = 1; j < arg.length; j++) {
        const letter = arg[j]!;
        const takesArg = shortTakesArg.get(letter);
        if (takesArg === undefined) throw new GetoptError(`invalid option -- '${letter}'`);
        if (!takesArg) {
          options.push({ key: letter, spelling: `-${letter}` });
          continue;
        }
        let value: string | undefined = arg.slice(j + 1);
        if (value === '') value = i < argv.length ? argv[i++] : undefined;
        if (value === undefined) throw new GetoptError(`option requires an argument -- '${letter}'`);
        options.push({ key: letter, value, spelling: `-${letter}` });
        break;
      }
      continue;
    }
    operands.push(arg);
  }
  return { options, operands };
}

/** glibc's long-option lookup: an exact name wins; otherwise a prefix must name one option. */
function matchLongOption(name: string, longOptions: readonly LongOption[]): LongOption {
  const exact = longOptions.find((o) => o.name === name);
  if (exact) return exact;
  const candidates = name === '' ? [] : longOptions.filter((o) => o.name.startsWith(name));
  const first = candidates[0];
  if (!first) throw new GetoptError(`unrecognized option '--${name}'`);
  const differing = candidates.filter((o) => o.hasArg !== first.hasArg || o.identity !== first.identity);
  if (differing.length > 0) {
    const list = [first, ...differing].map((o) => `'--${o.name}'`).join(' ');
    throw new GetoptError(`option '--${name}' is ambiguous; possibilities: ${list}`);
  }
  return first;
}
