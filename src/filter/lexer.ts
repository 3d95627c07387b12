/**
 * Tokens of the display-filter language: punctuation operators, word operators
 * (`and`, `eq`, `contains`, …), strings, and "words" — field names and literals
 * (numbers, addresses, byte strings) whose meaning the parser decides.
 */
import { UsageError } from '../base/errors.js';

export type TokenKind = 'op' | 'word' | 'string' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace' | 'comma' | 'range' | 'end';

export interface Token {
  kind: TokenKind;
  /** Operator text (normalised: `and` → `&&`, `eq` → `==`, …), word text, or string value. */
  text: string;
  /** 0-based column in the filter text. */
  pos: number;
}

/** A filter the user wrote wrongly: one line naming the column. */
export class FilterError extends UsageError {
  constructor(message: string, pos: number, text: string) {
    super(`filter: ${message} at column ${pos + 1} of "${text}"`);
  }
}

const WORD_OPS: Record<string, string> = {
  and: '&&',
  or: '||',
  not: '!',
  eq: '==',
  ne: '!=',
  gt: '>',
  lt: '<',
  ge: '>=',
  le: '<=',
  contains: 'contains',
  matches: 'matches',
  in: 'in',
};

const PUNCT_OPS = ['==', '!=', '>=', '<=', '&&', '||', '~', '>', '<', '!'];

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const start = i;
    if (c === '(' || c === ')' || c === '{' || c === '}' || c === ',') {
      out.push({ kind: c === '(' ? 'lparen' : c === ')' ? 'rparen' : c === '{' ? 'lbrace' : c === '}' ? 'rbrace' : 'comma', text: c, pos: start });
      i++;
      continue;
    }
    if (c === '"') {
      let v = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) {
          const e = text[i + 1]!;
          v += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
          i += 2;
        } else v += text[i++];
      }
      if (i >= text.length) throw new FilterError('unterminated string', start, text);
      i++;
      out.push({ kind: 'string', text: v, pos: start });
      continue;
    }
    if (text.startsWith('..', i)) {
      out.push({ kind: 'range', text: '..', pos: start });
      i += 2;
      continue;
    }
    const op = PUNCT_OPS.find((o) => text.startsWith(o, i));
    if (op) {
      out.push({ kind: 'op', text: op === '~' ? 'matches' : op, pos: start });
      i += op.length;
      continue;
    }
    if (/[A-Za-z0-9_.:/-]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_.:/-]/.test(text[i]!)) {
        // `1..5` is a range, not part of a number.
        if (text.startsWith('..', i)) break;
        i++;
      }
      const w = text.slice(start, i);
      const wop = WORD_OPS[w.toLowerCase()];
      out.push(wop ? { kind: 'op', text: wop, pos: start } : { kind: 'word', text: w, pos: start });
      continue;
    }
    throw new FilterError(`unexpected character '${c}'`, start, text);
  }
  out.push({ kind: 'end', text: '', pos: text.length });
  return out;
}
