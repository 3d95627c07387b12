/**
 * ncat's time arguments (`-w`, `-i`, `-d`): a number read like C's strtod, then an optional
 * unit `ms`, `s`, `m` or `h` (any case; seconds by default), truncated to whole
 * milliseconds. The checks and their messages are ncat's own, so a script that ncat
 * rejects is rejected here with the same words.
 */
import { NcatExit } from './exit.js';

const INT_MAX = 2147483647;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// What strtod accepts at the start of the text: decimal with optional exponent, hex
// integers, inf/infinity and nan, after optional white space and sign.
const NUMBER = /^[\t\n\v\f\r ]*[+-]?(?:0x[0-9a-f]+|(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|inf(?:inity)?|nan)/i;

/**
 * Parses `text` given to the option `optionName` (as ncat names it in messages, e.g.
 * `-w timeout`) and returns milliseconds, always > 0. Throws NcatExit (status 2, ncat's
 * message) for anything ncat refuses, including a bare number ≥ 100 that ncat suspects
 * was meant as milliseconds.
 */
export function parseTimeSpec(text: string, optionName: string): number {
  const invalid = (): NcatExit => NcatExit.quit(`Invalid ${optionName} "${text}" (must be greater than 0 and less than ${Math.floor(INT_MAX / 1000)}s).`);
  const number = NUMBER.exec(text);
  if (!number) throw invalid();
  const unitText = text.slice(number[0].length);
  const unit = unitText === '' ? 1000 : UNIT_MS[unitText.toLowerCase()];
  if (unit === undefined) throw invalid();
  const value = Number(number[0].trim().replace(/^\+/, '').replace(/^(-?)inf(inity)?$/i, '$1Infinity'));
  const ms = Math.trunc(value * unit);
  if (!Number.isFinite(ms) || ms <= 0 || ms > INT_MAX) throw invalid();
  if (ms >= 100_000 && unitText === '') {
    throw NcatExit.quit(`Since April 2010, the default unit for ${optionName} is seconds, so your time of "${text}" is ${(ms / 1000 / 60).toFixed(1)} minutes. Use "${text}ms" for ${text} milliseconds.`);
  }
  return ms;
}
