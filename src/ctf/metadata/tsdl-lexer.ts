/**
 * TSDL lexer (CTF 1.8 §7): turns metadata text into tokens. Keywords are not special
 * here: TSDL lets `event`, `stream`, `clock`… appear inside expressions
 * (`stream.event.header.id`, `map = clock.monotonic.value`), so every word is an
 * `ident` and the parser decides from context.
 */

export type TokenKind = 'ident' | 'int' | 'string' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Identifier, punctuation, or the decoded string literal. */
  readonly text: string;
  /** Integer literal value (kind `int`). */
  readonly value: bigint;
  /** Character offset in the metadata text. */
  readonly offset: number;
  readonly line: number;
}

/** A lexical or syntax error at a character offset of the metadata text. */
export class TsdlSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
  ) {
    super(message);
  }
}

const PUNCT3 = ['...'];
const PUNCT2 = [':=', '->', '<<', '>>'];
const PUNCT1 = '{}[]();,=:<>.*+-&|~!?/%^';

const UINT64_MAX = (1n << 64n) - 1n;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

/** Splits `text` into tokens; throws TsdlSyntaxError on a malformed literal or comment. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  const n = text.length;
  let i = 0;
  let line = 1;
  const push = (kind: TokenKind, t: string, offset: number, tokLine: number, value = 0n) => out.push({ kind, text: t, value, offset, line: tokLine });

  while (i < n) {
    const c = text.charCodeAt(i);
    // whitespace (CRLF metadata is legal: babeltrace's crlf-metadata test)
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
      i++;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 42) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new TsdlSyntaxError('unterminated comment', i, line);
      for (let k = i; k < end; k++) if (text.charCodeAt(k) === 10) line++;
      i = end + 2;
      continue;
    }
    if (c === 47 && text.charCodeAt(i + 1) === 47) {
      while (i < n && text.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    if (isIdentStart(c)) {
      i++;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      push('ident', text.slice(start, i), start, line);
      continue;
    }
    if (c >= 48 && c <= 57) {
      i = lexInteger(text, i, line, (v, end) => push('int', text.slice(start, end), start, line, v));
      continue;
    }
    if (c === 34) {
      const [s, end, lines] = lexString(text, i, line);
      push('string', s, start, line);
      line += lines;
      i = end;
      continue;
    }
    if (c === 39) {
      // character constant: 'a' or '\n' — an integer in TSDL
      const [s, end] = lexString(text, i, line, 39);
      if (s.length !== 1) throw new TsdlSyntaxError('invalid character constant', start, line);
      push('int', text.slice(start, end), start, line, BigInt(s.charCodeAt(0)));
      i = end;
      continue;
    }
    const three = text.substr(i, 3);
    if (PUNCT3.includes(three)) {
      push('punct', three, start, line);
      i += 3;
      continue;
    }
    const two = text.substr(i, 2);
    if (PUNCT2.includes(two)) {
      push('punct', two, start, line);
      i += 2;
      continue;
    }
    if (PUNCT1.includes(text[i]!)) {
      push('punct', text[i]!, start, line);
      i++;
      continue;
    }
    throw new TsdlSyntaxError(`unexpected character ${JSON.stringify(text[i])}`, i, line);
  }
  push('eof', '', n, line);
  return out;
}

function lexInteger(text: string, i: number, line: number, emit: (v: bigint, end: number) => void): number {
  const start = i;
  let digits: string;
  let radix: number;
  if (text[i] === '0' && (text[i + 1] === 'x' || text[i + 1] === 'X')) {
    i += 2;
    const d0 = i;
    while (i < text.length && /[0-9a-fA-F]/.test(text[i]!)) i++;
    digits = text.slice(d0, i);
    radix = 16;
    if (digits.length === 0) throw new TsdlSyntaxError('invalid hexadecimal literal', start, line);
  } else if (text[i] === '0' && /[0-7]/.test(text[i + 1] ?? '')) {
    i++;
    const d0 = i;
    while (i < text.length && /[0-7]/.test(text[i]!)) i++;
    digits = text.slice(d0, i);
    radix = 8;
  } else {
    const d0 = i;
    while (i < text.length && /[0-9]/.test(text[i]!)) i++;
    digits = text.slice(d0, i);
    radix = 10;
  }
  // integer suffixes (u, l, ul, ull, ...)
  while (i < text.length && /[uUlL]/.test(text[i]!)) i++;
  if (i < text.length && isIdentPart(text.charCodeAt(i))) throw new TsdlSyntaxError(`invalid integer literal '${text.slice(start, i + 1)}'`, start, line);
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : '';
  const v = BigInt(prefix + digits);
  if (v > UINT64_MAX) throw new TsdlSyntaxError(`integer literal ${text.slice(start, i)} does not fit in 64 bits`, start, line);
  emit(v, i);
  return i;
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'", '?': '?', '0': '\0' };

/** Returns [decoded string, end offset, newlines crossed]. */
function lexString(text: string, i: number, line: number, quote = 34): [string, number, number] {
  const start = i;
  i++;
  let s = '';
  let lines = 0;
  while (true) {
    if (i >= text.length) throw new TsdlSyntaxError('unterminated string literal', start, line);
    const c = text.charCodeAt(i);
    if (c === quote) return [s, i + 1, lines];
    if (c === 10) lines++;
    if (c === 92) {
      const e = text[i + 1];
      if (e === undefined) throw new TsdlSyntaxError('unterminated string literal', start, line);
      if (e === 'x') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(text.slice(i + 2));
        if (!m) throw new TsdlSyntaxError('invalid \\x escape', i, line);
        s += String.fromCharCode(parseInt(m[0], 16));
        i += 2 + m[0].length;
        continue;
      }
      if (/[0-7]/.test(e)) {
        const m = /^[0-7]{1,3}/.exec(text.slice(i + 1))!;
        s += String.fromCharCode(parseInt(m[0], 8));
        i += 1 + m[0].length;
        continue;
      }
      const r = ESCAPES[e];
      if (r === undefined) throw new TsdlSyntaxError(`invalid escape \\${e}`, i, line);
      s += r;
      i += 2;
      continue;
    }
    s += text[i];
    i++;
  }
}
