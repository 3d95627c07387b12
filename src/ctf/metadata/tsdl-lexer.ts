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

const UINT64_MAX = (1n << 64n) - 1n;

function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Single-character punctuation of TSDL, by char code. */
const PUNCT1 = new Uint8Array(128);
for (const ch of '{}[]();,=:<>.*+-&|~!?/%^') PUNCT1[ch.charCodeAt(0)] = 1;

/** Interned identifiers, shared by all lexers (event blocks get a lexer each). */
const INTERNED: string[] = new Array<string>(4096).fill('');

/**
 * Pull lexer: tokens are produced on demand so that they die young (a 300 KB kernel
 * metadata has ~90 000 tokens; keeping them all alive costs more in garbage collection
 * than lexing itself). Identifiers are interned: the same few hundred words repeat all
 * over TSDL, and comparing characters is cheaper than allocating a string.
 */
export class Lexer {
  private i: number;
  private line: number;
  private readonly n: number;
  private readonly internKeys = INTERNED;

  /** Lexes `text` from character offset `start` (on line `line`). */
  constructor(
    private readonly text: string,
    start = 0,
    line = 1,
  ) {
    this.n = text.length;
    this.i = start;
    this.line = line;
  }

  /**
   * When the next characters are a one-line attribute list ending with `}` (as in
   * `integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; }`, repeated
   * thousands of times in kernel metadata), returns its text, without moving. Null when
   * it holds anything that needs the full lexer (strings, comments, nested braces, line
   * breaks).
   */
  peekSimpleBlock(): string | null {
    const text = this.text;
    const n = Math.min(this.n, this.i + 256);
    for (let i = this.i; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 125) return text.slice(this.i, i);
      if (c === 10 || c === 13 || c === 34 || c === 39 || c === 47 || c === 123) return null;
    }
    return null;
  }

  /** Moves `count` characters forward (within one line: see peekSimpleBlock). */
  advance(count: number): void {
    this.i += count;
  }

  /**
   * Skips the rest of a `{ … }` block whose opening brace was the last token: moves past
   * the matching closing brace without producing tokens (strings, character constants
   * and comments may hold braces). Lets the parser set aside event blocks, which make up
   * most of a kernel trace's metadata, and parse each later on its own.
   */
  skipBlock(): void {
    const text = this.text;
    const n = this.n;
    let i = this.i;
    let depth = 1;
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 10) this.line++;
      else if (c === 123) depth++;
      else if (c === 125) {
        if (--depth === 0) {
          this.i = i + 1;
          return;
        }
      } else if (c === 34 || c === 39) {
        const [, end, lines] = lexString(text, i, this.line, c);
        this.line += lines;
        i = end;
        continue;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new TsdlSyntaxError('unterminated comment', i, this.line);
        for (let k = text.indexOf('\n', i); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) this.line++;
        i = end + 2;
        continue;
      } else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        while (i < n && text.charCodeAt(i) !== 10) i++;
        continue;
      }
      i++;
    }
    throw new TsdlSyntaxError("unterminated block: no matching '}'", start - 1, this.line);
  }

  /** The next token (kind `eof` at the end, repeatedly). */
  next(): Token {
    const text = this.text;
    const n = this.n;
    let i = this.i;
    while (i < n) {
      const c = text.charCodeAt(i);
      // whitespace (CRLF metadata is legal: babeltrace's crlf-metadata test)
      if (c === 10) {
        this.line++;
        i++;
        continue;
      }
      if (c === 32 || c === 9 || c === 13 || c === 11 || c === 12) {
        i++;
        continue;
      }
      if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new TsdlSyntaxError('unterminated comment', i, this.line);
        for (let k = text.indexOf('\n', i); k >= 0 && k < end; k = text.indexOf('\n', k + 1)) this.line++;
        i = end + 2;
        continue;
      }
      if (c === 47 && text.charCodeAt(i + 1) === 47) {
        while (i < n && text.charCodeAt(i) !== 10) i++;
        continue;
      }
      break;
    }
    const line = this.line;
    if (i >= n) {
      this.i = i;
      return { kind: 'eof', text: '', value: 0n, offset: n, line };
    }
    const start = i;
    const c = text.charCodeAt(i);
    if (isIdentStart(c)) {
      let h = c;
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (!isIdentPart(d)) break;
        h = (Math.imul(h, 31) + d) | 0;
        i++;
      }
      this.i = i;
      const slot = (h ^ (h >>> 12)) & 4095;
      const cand = this.internKeys[slot]!;
      let word: string;
      if (cand.length === i - start && text.startsWith(cand, start)) word = cand;
      else this.internKeys[slot] = word = text.slice(start, i);
      return { kind: 'ident', text: word, value: 0n, offset: start, line };
    }
    if (c >= 48 && c <= 57) {
      const out: Token[] = [];
      this.i = lexInteger(text, i, line, out);
      return out[0]!;
    }
    if (c === 34) {
      const [str, end, lines] = lexString(text, i, line);
      this.line += lines;
      this.i = end;
      return { kind: 'string', text: str, value: 0n, offset: start, line };
    }
    if (c === 39) {
      // character constant: 'a' or '\n' — an integer in TSDL
      const [str, end] = lexString(text, i, line, 39);
      if (str.length !== 1) throw new TsdlSyntaxError('invalid character constant', start, line);
      this.i = end;
      return { kind: 'int', text: text.slice(start, end), value: BigInt(str.charCodeAt(0)), offset: start, line };
    }
    const c1 = text.charCodeAt(i + 1);
    if (c === 46 && c1 === 46 && text.charCodeAt(i + 2) === 46) {
      this.i = i + 3;
      return { kind: 'punct', text: '...', value: 0n, offset: start, line };
    }
    if ((c === 58 && c1 === 61) || (c === 45 && c1 === 62) || (c === 60 && c1 === 60) || (c === 62 && c1 === 62)) {
      this.i = i + 2;
      return { kind: 'punct', text: text.slice(i, i + 2), value: 0n, offset: start, line };
    }
    if (c < 128 && PUNCT1[c] === 1) {
      this.i = i + 1;
      return { kind: 'punct', text: PUNCT_TEXT[c]!, value: 0n, offset: start, line };
    }
    throw new TsdlSyntaxError(`unexpected character ${JSON.stringify(text[i])}`, i, line);
  }
}

const PUNCT_TEXT: string[] = [];
for (let c = 0; c < 128; c++) PUNCT_TEXT.push(String.fromCharCode(c));

/** All tokens of `text` (tests and tools; the parser pulls them from a Lexer). */
export function tokenize(text: string): Token[] {
  const lx = new Lexer(text);
  const out: Token[] = [];
  for (;;) {
    const t = lx.next();
    out.push(t);
    if (t.kind === 'eof') return out;
  }
}

function lexInteger(text: string, i: number, line: number, out: Token[]): number {
  const start = i;
  const n = text.length;
  let value: bigint;
  if (text.charCodeAt(i) === 48 && (text.charCodeAt(i + 1) | 32) === 120) {
    i += 2;
    const d0 = i;
    while (i < n && isHex(text.charCodeAt(i))) i++;
    if (i === d0) throw new TsdlSyntaxError('invalid hexadecimal literal', start, line);
    value = BigInt('0x' + text.slice(d0, i));
  } else if (text.charCodeAt(i) === 48 && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 55) {
    i++;
    const d0 = i;
    while (i < n && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 55) i++;
    value = BigInt('0o' + text.slice(d0, i));
  } else {
    // small decimal literals (the vast majority) without going through BigInt parsing
    let small = 0;
    const d0 = i;
    while (i < n) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      small = small * 10 + d;
      i++;
    }
    value = i - d0 <= 15 ? BigInt(small) : BigInt(text.slice(d0, i));
  }
  // integer suffixes (u, l, ul, ull, ...)
  while (i < n) {
    const s = text.charCodeAt(i) | 32;
    if (s !== 117 && s !== 108) break;
    i++;
  }
  if (i < n && isIdentPart(text.charCodeAt(i))) throw new TsdlSyntaxError(`invalid integer literal '${text.slice(start, i + 1)}'`, start, line);
  if (value > UINT64_MAX) throw new TsdlSyntaxError(`integer literal ${text.slice(start, i)} does not fit in 64 bits`, start, line);
  out.push({ kind: 'int', text: text.slice(start, i), value, offset: start, line });
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
