/**
 * Parser and compiler of the display-filter language (a subset of Wireshark's):
 *
 *   expr   := and ( ('||' | 'or') and )*
 *   and    := unary ( ('&&' | 'and') unary )*
 *   unary  := ('!' | 'not') unary | '(' expr ')' | test
 *   test   := FIELD [ CMP value | 'contains' value | 'matches' STRING | 'in' '{' item* '}' ]
 *   CMP    := == != > < >= <=  (or eq ne gt lt ge le)
 *   item   := value | value '..' value
 *
 * A bare field is true when it is present — and, for a boolean field such as
 * `tcp.flags.syn` or `tcp.analysis.retransmission`, when it is set. A comparison is true
 * when ANY occurrence of the field satisfies it, except `!=`, which needs every
 * occurrence to differ (Wireshark 4 semantics, so `ip.addr != 10.0.0.1` excludes
 * packets from or to 10.0.0.1). A missing field makes every comparison false.
 *
 * The filter compiles once into closures; evaluating it allocates nothing but a reused
 * scratch array.
 */
import type { FieldType, FieldValue } from '../dissect/fields.js';
import { parseIpv4, parseIpv6 } from '../dissect/bytes.js';
import { FilterError, tokenize, type Token } from './lexer.js';

/** What the compiler needs to know about a field. */
export interface FilterField<C> {
  readonly type: FieldType;
  values(ctx: C, out: FieldValue[]): void;
}

export type FieldLookup<C> = (name: string) => FilterField<C> | undefined;

export type CompiledFilter<C> = (ctx: C) => boolean;

type Node =
  | { kind: 'or' | 'and'; a: Node; b: Node }
  | { kind: 'not'; e: Node }
  | { kind: 'exists'; field: string; pos: number }
  | { kind: 'cmp'; field: string; pos: number; op: string; value: Token }
  | { kind: 'contains'; field: string; pos: number; value: Token }
  | { kind: 'matches'; field: string; pos: number; value: Token }
  | { kind: 'in'; field: string; pos: number; items: (Token | [Token, Token])[] };

class Parser {
  private i = 0;
  constructor(
    private readonly toks: Token[],
    private readonly text: string,
  ) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }

  private next(): Token {
    return this.toks[this.i++]!;
  }

  private fail(msg: string, t: Token = this.peek()): never {
    throw new FilterError(msg, t.pos, this.text);
  }

  parse(): Node {
    if (this.peek().kind === 'end') this.fail('empty filter');
    const n = this.or();
    if (this.peek().kind !== 'end') this.fail(`unexpected '${this.peek().text}'`);
    return n;
  }

  private or(): Node {
    let a = this.and();
    while (this.peek().kind === 'op' && this.peek().text === '||') {
      this.next();
      a = { kind: 'or', a, b: this.and() };
    }
    return a;
  }

  private and(): Node {
    let a = this.unary();
    while (this.peek().kind === 'op' && this.peek().text === '&&') {
      this.next();
      a = { kind: 'and', a, b: this.unary() };
    }
    return a;
  }

  private unary(): Node {
    const t = this.peek();
    if (t.kind === 'op' && t.text === '!') {
      this.next();
      return { kind: 'not', e: this.unary() };
    }
    if (t.kind === 'lparen') {
      this.next();
      const e = this.or();
      if (this.peek().kind !== 'rparen') this.fail("missing ')'");
      this.next();
      return e;
    }
    return this.test();
  }

  private value(): Token {
    const t = this.next();
    if (t.kind !== 'word' && t.kind !== 'string') this.fail('expected a value', t);
    return t;
  }

  private test(): Node {
    const f = this.next();
    if (f.kind !== 'word') this.fail('expected a field name', f);
    const t = this.peek();
    if (t.kind === 'op') {
      switch (t.text) {
        case '==':
        case '!=':
        case '>':
        case '<':
        case '>=':
        case '<=':
          this.next();
          return { kind: 'cmp', field: f.text, pos: f.pos, op: t.text, value: this.value() };
        case 'contains':
          this.next();
          return { kind: 'contains', field: f.text, pos: f.pos, value: this.value() };
        case 'matches':
          this.next();
          return { kind: 'matches', field: f.text, pos: f.pos, value: this.value() };
        case 'in': {
          this.next();
          if (this.next().kind !== 'lbrace') this.fail("expected '{' after 'in'");
          const items: (Token | [Token, Token])[] = [];
          while (this.peek().kind !== 'rbrace') {
            if (this.peek().kind === 'end') this.fail("missing '}'");
            const v = this.value();
            if (this.peek().kind === 'range') {
              this.next();
              items.push([v, this.value()]);
            } else items.push(v);
            if (this.peek().kind === 'comma') this.next();
          }
          this.next();
          if (items.length === 0) this.fail('empty set', t);
          return { kind: 'in', field: f.text, pos: f.pos, items };
        }
      }
    }
    return { kind: 'exists', field: f.text, pos: f.pos };
  }
}

/** A literal converted for one field type: a predicate over one field value. */
type Matcher = (v: FieldValue) => boolean;

const encoder = new TextEncoder();

function parseNumber(text: string): number | undefined {
  if (/^0x[0-9a-fA-F]+$/.test(text)) return parseInt(text, 16);
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (/^(true|True|TRUE)$/.test(text)) return 1;
  if (/^(false|False|FALSE)$/.test(text)) return 0;
  return undefined;
}

function parseBytes(text: string): Uint8Array | undefined {
  if (/^[0-9a-fA-F]{2}([:.-][0-9a-fA-F]{2})*$/.test(text)) return Uint8Array.from(text.split(/[:.-]/).map((h) => parseInt(h, 16)));
  return undefined;
}

function parseMac(text: string): Uint8Array | undefined {
  if (/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) return Uint8Array.from(text.split(/[:-]/).map((h) => parseInt(h, 16)));
  if (/^[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}\.[0-9a-fA-F]{4}$/.test(text)) return parseBytes(text.replace(/\./g, '').replace(/(..)(?!$)/g, '$1:'));
  return undefined;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

const CMP: Record<string, (c: number) => boolean> = {
  '==': (c) => c === 0,
  '!=': (c) => c === 0, // negated by the caller ("all differ")
  '>': (c) => c > 0,
  '<': (c) => c < 0,
  '>=': (c) => c >= 0,
  '<=': (c) => c <= 0,
};

class Compiler<C> {
  constructor(
    private readonly lookup: FieldLookup<C>,
    private readonly text: string,
  ) {}

  private field(name: string, pos: number): FilterField<C> {
    const f = this.lookup(name);
    if (!f) throw new FilterError(`unknown field '${name}'`, pos, this.text);
    return f;
  }

  private bad(t: Token, what: string): never {
    throw new FilterError(`'${t.text}' is not ${what}`, t.pos, this.text);
  }

  /** A matcher for `field OP literal` (for `!=`: equality, negated by the caller). */
  private literal(type: FieldType, op: string, t: Token): Matcher {
    const cmp = CMP[op]!;
    switch (type) {
      case 'uint':
      case 'float':
      case 'bool': {
        const n = t.kind === 'string' ? undefined : parseNumber(t.text);
        if (n === undefined) this.bad(t, type === 'bool' ? 'a boolean (true, false, 1, 0)' : 'a number');
        return (v) => cmp((v === true ? 1 : v === false ? 0 : (v as number)) - n);
      }
      case 'ipv4': {
        const [addr, prefix] = t.text.split('/');
        const a = parseIpv4(addr!);
        const bits = prefix === undefined ? 32 : Number(prefix);
        if (a === undefined || !(bits >= 0 && bits <= 32)) this.bad(t, 'an IPv4 address or prefix');
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        const want = (a & mask) >>> 0;
        if (op === '==' || op === '!=') return (v) => ((v as number) & mask) >>> 0 === want;
        return (v) => cmp(((v as number) >>> 0) - a);
      }
      case 'ipv6': {
        const [addr, prefix] = t.text.split('/');
        const a = parseIpv6(addr!);
        const bits = prefix === undefined ? 128 : Number(prefix);
        if (!a || !(bits >= 0 && bits <= 128)) this.bad(t, 'an IPv6 address or prefix');
        if (op === '==' || op === '!=') {
          return (v) => {
            const b = v as Uint8Array;
            for (let i = 0; i < 16; i++) {
              const keep = Math.max(0, Math.min(8, bits - i * 8));
              const m = keep === 0 ? 0 : (0xff << (8 - keep)) & 0xff;
              if ((b[i]! & m) !== (a[i]! & m)) return false;
            }
            return true;
          };
        }
        return (v) => cmp(compareBytes(v as Uint8Array, a));
      }
      case 'ether': {
        const m = parseMac(t.text);
        if (!m) this.bad(t, 'a MAC address');
        return (v) => cmp(compareBytes(v as Uint8Array, m));
      }
      case 'string': {
        const s = t.text;
        return (v) => cmp((v as string) < s ? -1 : (v as string) > s ? 1 : 0);
      }
      case 'bytes':
      case 'protocol': {
        const b = t.kind === 'string' ? encoder.encode(t.text) : parseBytes(t.text);
        if (!b) this.bad(t, 'a byte string (aa:bb:cc) or a quoted string');
        return (v) => cmp(compareBytes(v as Uint8Array, b));
      }
    }
  }

  private containsMatcher(type: FieldType, t: Token): Matcher {
    if (type === 'string') {
      const s = t.text;
      return (v) => (v as string).includes(s);
    }
    if (type === 'bytes' || type === 'protocol') {
      const b = t.kind === 'string' ? encoder.encode(t.text) : parseBytes(t.text);
      if (!b) this.bad(t, 'a byte string (aa:bb:cc) or a quoted string');
      return (v) => indexOfBytes(v as Uint8Array, b) >= 0;
    }
    throw new FilterError(`'contains' needs a string, bytes or protocol field`, t.pos, this.text);
  }

  compile(n: Node): CompiledFilter<C> {
    const scratch: FieldValue[] = [];
    const anyOf = (f: FilterField<C>, m: Matcher) => (ctx: C) => {
      scratch.length = 0;
      f.values(ctx, scratch);
      for (let i = 0; i < scratch.length; i++) if (m(scratch[i]!)) return true;
      return false;
    };
    switch (n.kind) {
      case 'or': {
        const a = this.compile(n.a),
          b = this.compile(n.b);
        return (ctx) => a(ctx) || b(ctx);
      }
      case 'and': {
        const a = this.compile(n.a),
          b = this.compile(n.b);
        return (ctx) => a(ctx) && b(ctx);
      }
      case 'not': {
        const e = this.compile(n.e);
        return (ctx) => !e(ctx);
      }
      case 'exists': {
        const f = this.field(n.field, n.pos);
        if (f.type === 'bool') return anyOf(f, (v) => v === true || v === 1);
        return (ctx) => {
          scratch.length = 0;
          f.values(ctx, scratch);
          return scratch.length > 0;
        };
      }
      case 'cmp': {
        const f = this.field(n.field, n.pos);
        const other = n.value.kind === 'word' ? this.lookup(n.value.text) : undefined;
        if (other && !looksLiteral(f.type, n.value.text)) {
          // field OP field: compare against every value of the other field.
          const otherValues: FieldValue[] = [];
          const cmp = CMP[n.op]!;
          const order = (a: FieldValue, b: FieldValue): number =>
            typeof a === 'number' && typeof b === 'number' ? a - b : a instanceof Uint8Array && b instanceof Uint8Array ? compareBytes(a, b) : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
          const g = (ctx: C) => {
            otherValues.length = 0;
            other.values(ctx, otherValues);
            scratch.length = 0;
            f.values(ctx, scratch);
            const eq = (v: FieldValue) => otherValues.some((o) => cmp(order(v, o)));
            if (n.op === '!=') return scratch.length > 0 && otherValues.length > 0 && !scratch.some(eq);
            return scratch.some(eq);
          };
          return g;
        }
        const m = this.literal(f.type, n.op, n.value);
        if (n.op === '!=') {
          const eq = m;
          return (ctx) => {
            scratch.length = 0;
            f.values(ctx, scratch);
            if (scratch.length === 0) return false;
            for (let i = 0; i < scratch.length; i++) if (eq(scratch[i]!)) return false;
            return true;
          };
        }
        return anyOf(f, m);
      }
      case 'contains': {
        const f = this.field(n.field, n.pos);
        return anyOf(f, this.containsMatcher(f.type, n.value));
      }
      case 'matches': {
        const f = this.field(n.field, n.pos);
        let re: RegExp;
        try {
          re = new RegExp(n.value.text, 'i');
        } catch (err) {
          throw new FilterError(`bad regular expression (${(err as Error).message})`, n.value.pos, this.text);
        }
        if (f.type !== 'string' && f.type !== 'bytes' && f.type !== 'protocol') throw new FilterError(`'matches' needs a string, bytes or protocol field`, n.pos, this.text);
        return anyOf(f, (v) => re.test(typeof v === 'string' ? v : latin1(v as Uint8Array)));
      }
      case 'in': {
        const f = this.field(n.field, n.pos);
        const ms = n.items.map((it) => {
          if (Array.isArray(it)) {
            const lo = this.literal(f.type, '>=', it[0]),
              hi = this.literal(f.type, '<=', it[1]);
            return (v: FieldValue) => lo(v) && hi(v);
          }
          return this.literal(f.type, '==', it);
        });
        return anyOf(f, (v) => ms.some((m) => m(v)));
      }
    }
  }
}

function looksLiteral(type: FieldType, text: string): boolean {
  switch (type) {
    case 'uint':
    case 'float':
    case 'bool':
      return parseNumber(text) !== undefined;
    case 'ipv4':
      return parseIpv4(text.split('/')[0]!) !== undefined;
    case 'ipv6':
      return parseIpv6(text.split('/')[0]!) !== undefined;
    case 'ether':
      return parseMac(text) !== undefined;
    case 'bytes':
    case 'protocol':
      return parseBytes(text) !== undefined;
    default:
      return false;
  }
}

/**
 * Compiles `text` against the fields `lookup` knows. Throws a FilterError (a UsageError:
 * one line, exit status 2) naming the column of the first problem.
 */
export function compileFilter<C>(text: string, lookup: FieldLookup<C>): CompiledFilter<C> {
  const ast = new Parser(tokenize(text), text).parse();
  return new Compiler(lookup, text).compile(ast);
}

