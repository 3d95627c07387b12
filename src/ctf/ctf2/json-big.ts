/**
 * A strict JSON parser that keeps integers beyond 2^53 exact (as bigint) — CTF 2
 * metadata holds 64-bit enumeration ranges and clock offsets, which `JSON.parse` would
 * round — and reports the character offset of syntax errors.
 */

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Parses one JSON text; `base` is added to error offsets. */
export function parseJsonBig(text: string, base = 0): Json {
  let i = 0;
  const n = text.length;
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, base + i);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const value = (depth: number): Json => {
    if (depth > 512) fail('JSON nesting too deep');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: Json } = {};
      ws();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name');
        const k = string();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        if (Object.prototype.hasOwnProperty.call(obj, k)) fail(`duplicate property "${k}"`);
        obj[k] = value(depth + 1);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const arr: Json[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    if (c === 't' && text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (c === 'f' && text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (c === 'n' && text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number();
    return fail(i >= n ? 'unexpected end of JSON' : `unexpected character ${JSON.stringify(c)}`);
  };
  const string = (): string => {
    const start = i;
    i++;
    let simple = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        simple = false;
        i += 2;
        continue;
      }
      if (c < 32) fail('control character in string');
      i++;
    }
    if (i >= n) fail('unterminated string');
    i++;
    const raw = text.slice(start, i);
    if (simple) return raw.slice(1, -1);
    try {
      return JSON.parse(raw) as string;
    } catch {
      i = start;
      return fail('invalid string escape');
    }
  };
  const number = (): number | bigint => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) return fail('invalid number');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) {
      const v = Number(m[0]);
      if (Number.isSafeInteger(v)) return v;
      return BigInt(m[0]);
    }
    return Number(m[0]);
  };
  const v = value(0);
  ws();
  if (i < n) fail('unexpected text after the JSON value');
  return v;
}
