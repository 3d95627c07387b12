/**
 * TSDL parser (CTF 1.8 §7.3): tokens → abstract syntax tree. It knows the grammar, not
 * the meaning: type names are tracked per lexical scope only so that `uint32_t magic;`
 * can be told apart from a field declaration with an unknown type. The resolver
 * (`tsdl-resolver.ts`) gives the tree its meaning.
 */
import { Lexer, TsdlSyntaxError, type Token } from './tsdl-lexer.js';

/** A right-hand value: an integer, a string literal, or an identifier path (`clock.monotonic.value`). */
export type TsdlValue = { readonly type: 'int'; readonly value: bigint; readonly offset: number } | { readonly type: 'string'; readonly value: string; readonly offset: number } | { readonly type: 'path'; readonly value: string; readonly offset: number };

export interface Attribute {
  readonly name: string;
  readonly value: TsdlValue;
  readonly offset: number;
}

export interface Enumerator {
  readonly label: string;
  /** None (auto-increment), one value, or an inclusive range. */
  readonly values: TsdlValue[];
  readonly offset: number;
}

export type CompoundSpec =
  | { readonly k: 'integer' | 'floating_point' | 'string'; readonly attrs: Attribute[]; readonly offset: number }
  | { readonly k: 'struct'; readonly name: string | null; readonly body: BodyEntry[] | null; readonly align: TsdlValue | null; readonly offset: number }
  | { readonly k: 'variant'; readonly name: string | null; readonly tag: string | null; readonly body: BodyEntry[] | null; readonly offset: number }
  | { readonly k: 'enum'; readonly name: string | null; readonly container: SpecifierList | null; readonly body: Enumerator[] | null; readonly offset: number };

/** Declaration specifiers: keyword/type-name words and at most one compound specifier. */
export interface SpecifierList {
  readonly words: string[];
  readonly compound: CompoundSpec | null;
  readonly offset: number;
}

/** A declarator: name (null when abstract), pointer count, array lengths (outermost first). */
export interface Declarator {
  readonly name: string | null;
  readonly pointers: number;
  readonly lengths: TsdlValue[];
  readonly offset: number;
}

export type BodyEntry =
  | { readonly kind: 'field'; readonly spec: SpecifierList; readonly declarators: Declarator[]; readonly offset: number }
  | { readonly kind: 'typedef'; readonly spec: SpecifierList; readonly declarators: Declarator[]; readonly offset: number }
  | { readonly kind: 'typealias'; readonly spec: SpecifierList; readonly declarator: Declarator; readonly aliasWords: string[]; readonly aliasPointers: number; readonly offset: number };

export type BlockEntry =
  | BodyEntry
  | { readonly kind: 'assign'; readonly left: string; readonly value: TsdlValue; readonly offset: number }
  | { readonly kind: 'type-assign'; readonly left: string; readonly spec: SpecifierList; readonly declarator: Declarator; readonly offset: number };

export type BlockKind = 'trace' | 'stream' | 'event' | 'env' | 'clock' | 'callsite';

export type TopLevel = { readonly kind: 'block'; readonly block: BlockKind; readonly entries: BlockEntry[]; readonly offset: number } | BodyEntry;

export interface TsdlDocument {
  readonly items: TopLevel[];
  /**
   * With `deferEvents`: where each event block starts (its `event` keyword), in document
   * order, instead of their syntax trees in `items`; parse each with parseEventBlock().
   */
  readonly deferredEvents: ReadonlyArray<{ readonly offset: number; readonly line: number }>;
  /** Type names declared at the root (typedef/typealias), which event blocks may use. */
  readonly rootTypes: ReadonlySet<string>;
  /** Attribute lists already parsed, by text (shared with the deferred event blocks). */
  readonly attributeCache: AttributeCache;
}

/**
 * Attribute lists by their source text: identical one-line lists (`{ size = 32; align = 8;
 * signed = 1; encoding = none; base = 10; }`) are parsed once and the same (read-only)
 * array is returned for every occurrence, so the resolver can also resolve them once.
 * Offsets in a shared list are those of its first occurrence, which is where an error
 * in it is reported first anyway.
 */
export type AttributeCache = Map<string, Attribute[]>;

const BLOCKS = new Set<BlockKind>(['trace', 'stream', 'event', 'env', 'clock', 'callsite']);
/** C type keywords that may form multi-word type names (`unsigned long`). */
const BASIC_WORDS = new Set<string>(['void', 'char', 'short', 'int', 'long', 'float', 'double', 'signed', 'unsigned', '_Bool', 'bool', '_Complex', '_Imaginary', 'const']);
const COMPOUND_WORDS = new Set(['struct', 'variant', 'enum', 'integer', 'floating_point', 'string']);

/**
 * Parses TSDL text; throws TsdlSyntaxError (with character offset and line) on bad syntax.
 * `deferEvents` sets event blocks aside unparsed (see TsdlDocument.deferredEvents): a
 * kernel trace's metadata declares ~1,200 events, and keeping all their syntax trees alive
 * at once costs far more in garbage collection than parsing them one at a time.
 */
export function parseTsdl(text: string, deferEvents = false): TsdlDocument {
  return new Parser(new Lexer(text), undefined, new Map()).document(deferEvents);
}

/** Parses the event block starting at `offset` (from TsdlDocument.deferredEvents). */
export function parseEventBlock(text: string, at: { readonly offset: number; readonly line: number }, doc: TsdlDocument): Extract<TopLevel, { kind: 'block' }> {
  const parser = new Parser(new Lexer(text, at.offset, at.line), doc.rootTypes, doc.attributeCache);
  return parser.block();
}

class Parser {
  /** Lookahead tokens (a short queue refilled from the lexer), from index `head`. */
  private readonly ahead: Token[] = [];
  private head = 0;
  /** Type names declared with typedef/typealias, per lexical scope. */
  private readonly typeScopes: Array<Set<string>>;

  constructor(
    private readonly lexer: Lexer,
    rootTypes: ReadonlySet<string> | undefined,
    private readonly attributeCache: AttributeCache,
  ) {
    // event blocks share the root scope read-only: block() opens a scope of its own
    this.typeScopes = [(rootTypes as Set<string> | undefined) ?? new Set<string>()];
  }

  document(deferEvents: boolean): TsdlDocument {
    const items: TopLevel[] = [];
    const deferredEvents: Array<{ offset: number; line: number }> = [];
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (t.kind === 'ident' && BLOCKS.has(t.text as BlockKind) && this.peek(1).text === '{') {
        if (deferEvents && t.text === 'event') {
          this.next();
          this.expect('{');
          // the lookahead queue is empty here: the lexer stands right after the brace
          this.lexer.skipBlock();
          this.expect(';');
          deferredEvents.push({ offset: t.offset, line: t.line });
          continue;
        }
        items.push(this.block());
        continue;
      }
      items.push(this.bodyEntry());
    }
    return { items, deferredEvents, rootTypes: this.typeScopes[0]!, attributeCache: this.attributeCache };
  }

  /** `trace|stream|event|env|clock|callsite { … };` */
  block(): Extract<TopLevel, { kind: 'block' }> {
    const t = this.next();
    this.expect('{');
    this.pushScope();
    const entries: BlockEntry[] = [];
    while (!this.at('}')) entries.push(this.blockEntry());
    this.popScope();
    this.expect('}');
    this.expect(';');
    return { kind: 'block', block: t.text as BlockKind, entries, offset: t.offset };
  }

  // ---- token helpers -------------------------------------------------------------

  private peek(k = 0): Token {
    const a = this.ahead;
    while (a.length - this.head <= k) a.push(this.lexer.next());
    return a[this.head + k]!;
  }
  private at(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' ? t.text === text : t.kind === 'ident' && t.text === text;
  }
  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') {
      this.head++;
      if (this.head === this.ahead.length) {
        this.ahead.length = 0;
        this.head = 0;
      }
    }
    return t;
  }
  private fail(msg: string, t: Token = this.peek()): never {
    const what = t.kind === 'eof' ? 'end of metadata' : t.kind === 'string' ? `string ${JSON.stringify(t.text)}` : `'${t.text}'`;
    throw new TsdlSyntaxError(`${msg}, found ${what}`, t.offset, t.line);
  }
  private expect(text: string): Token {
    if (!this.at(text)) this.fail(`expected '${text}'`);
    return this.next();
  }
  private ident(what: string): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected ${what}`);
    return this.next();
  }
  private pushScope(): void {
    this.typeScopes.push(new Set());
  }
  private popScope(): void {
    this.typeScopes.pop();
  }
  private isTypeName(name: string): boolean {
    for (let k = this.typeScopes.length - 1; k >= 0; k--) if (this.typeScopes[k]!.has(name)) return true;
    return false;
  }
  private declareType(name: string): void {
    this.typeScopes[this.typeScopes.length - 1]!.add(name);
  }

  // ---- blocks ----------------------------------------------------------------------

  private blockEntry(): BlockEntry {
    const t = this.peek();
    if (t.kind === 'ident' && (t.text === 'typedef' || t.text === 'typealias')) return this.bodyEntry();
    // `left = value;` or `left := type;` where left is a dotted path (packet.header, model.emf.uri)
    if (t.kind === 'ident' && this.looksLikeAssignment()) {
      const left = this.dottedPath();
      if (this.at(':=')) {
        this.next();
        const spec = this.specifiers(true);
        const declarator = this.declarator(true);
        this.expect(';');
        return { kind: 'type-assign', left, spec, declarator, offset: t.offset };
      }
      this.expect('=');
      const value = this.value();
      this.expect(';');
      return { kind: 'assign', left, value, offset: t.offset };
    }
    return this.bodyEntry();
  }

  /** `a.b.c =` or `a :=` ahead (and not a type declaration). */
  private looksLikeAssignment(): boolean {
    let k = 0;
    while (true) {
      const t = this.peek(k);
      if (t.kind !== 'ident') return false;
      const n = this.peek(k + 1);
      if (n.kind === 'punct' && (n.text === '=' || n.text === ':=')) return true;
      if (n.kind === 'punct' && n.text === '.') {
        k += 2;
        continue;
      }
      return false;
    }
  }

  private dottedPath(): string {
    let s = this.ident('a name').text;
    while (this.at('.') || this.at('->')) {
      const sep = this.next().text;
      s += sep + this.ident('a name').text;
    }
    return s;
  }

  private value(): TsdlValue {
    const t = this.peek();
    if (t.kind === 'punct' && (t.text === '-' || t.text === '+')) {
      this.next();
      const n = this.peek();
      if (n.kind !== 'int') this.fail('expected an integer after the sign');
      this.next();
      return { type: 'int', value: t.text === '-' ? -n.value : n.value, offset: t.offset };
    }
    if (t.kind === 'int') {
      this.next();
      return { type: 'int', value: t.value, offset: t.offset };
    }
    if (t.kind === 'string') {
      this.next();
      let s = t.text;
      while (this.peek().kind === 'string') s += this.next().text; // "a" "b" concatenation
      return { type: 'string', value: s, offset: t.offset };
    }
    if (t.kind === 'ident') return { type: 'path', value: this.dottedPath(), offset: t.offset };
    this.fail('expected a value');
  }

  // ---- declarations ------------------------------------------------------------

  /** typedef, typealias, or `specifiers declarators? ;` (fields in structs/variants). */
  private bodyEntry(): BodyEntry {
    const t = this.peek();
    if (t.kind === 'ident' && t.text === 'typedef') {
      this.next();
      const spec = this.specifiers(true);
      const declarators = [this.declarator(false)];
      while (this.at(',')) {
        this.next();
        declarators.push(this.declarator(false));
      }
      this.expect(';');
      for (const d of declarators) if (d.name) this.declareType(d.name);
      return { kind: 'typedef', spec, declarators, offset: t.offset };
    }
    if (t.kind === 'ident' && t.text === 'typealias') {
      this.next();
      const spec = this.specifiers(true);
      const declarator = this.declarator(true);
      this.expect(':=');
      const aliasWords: string[] = [];
      while (this.peek().kind === 'ident') aliasWords.push(this.next().text);
      let aliasPointers = 0;
      while (this.at('*')) {
        this.next();
        aliasPointers++;
        if (this.at('const')) this.next();
      }
      if (aliasWords.length === 0) this.fail('expected the alias name after :=');
      this.expect(';');
      if (aliasWords.length === 1 && aliasPointers === 0) this.declareType(aliasWords[0]!);
      return { kind: 'typealias', spec, declarator, aliasWords, aliasPointers, offset: t.offset };
    }
    const spec = this.specifiers(true);
    const declarators: Declarator[] = [];
    if (!this.at(';')) {
      declarators.push(this.declarator(false));
      while (this.at(',')) {
        this.next();
        declarators.push(this.declarator(false));
      }
    }
    this.expect(';');
    return { kind: 'field', spec, declarators, offset: t.offset };
  }

  private specifiers(required: boolean): SpecifierList {
    const start = this.peek();
    const words: string[] = [];
    let compound: CompoundSpec | null = null;
    while (true) {
      const t = this.peek();
      if (t.kind !== 'ident') break;
      if (COMPOUND_WORDS.has(t.text)) {
        if (compound) this.fail('two type specifiers in one declaration');
        compound = this.compound();
        continue;
      }
      if (BASIC_WORDS.has(t.text)) {
        words.push(this.next().text);
        continue;
      }
      // a typedef/typealias name, only if no other type was given yet (`uint32_t uint32_t;` is a field)
      if (!compound && !words.some((w) => w !== 'const') && this.isTypeName(t.text)) {
        words.push(this.next().text);
        continue;
      }
      break;
    }
    if (required && words.length === 0 && !compound) {
      const t = this.peek();
      if (t.kind === 'ident') throw new TsdlSyntaxError(`unknown type '${t.text}'`, t.offset, t.line);
      this.fail('expected a type');
    }
    return { words, compound, offset: start.offset };
  }

  private compound(): CompoundSpec {
    const t = this.next();
    switch (t.text) {
      case 'integer':
      case 'floating_point':
        return { k: t.text, attrs: this.attributes(true), offset: t.offset };
      case 'string':
        return { k: 'string', attrs: this.at('{') ? this.attributes(true) : [], offset: t.offset };
      case 'struct': {
        const name = this.peek().kind === 'ident' && !this.at('align') ? this.next().text : null;
        let body: BodyEntry[] | null = null;
        let align: TsdlValue | null = null;
        if (this.at('{')) {
          body = this.body();
          if (this.at('align')) {
            this.next();
            this.expect('(');
            align = this.value();
            this.expect(')');
          }
        }
        if (!name && !body) this.fail('expected a structure name or body');
        return { k: 'struct', name, body, align, offset: t.offset };
      }
      case 'variant': {
        const name = this.peek().kind === 'ident' ? this.next().text : null;
        let tag: string | null = null;
        if (this.at('<')) {
          this.next();
          tag = this.dottedPath();
          this.expect('>');
        }
        const body = this.at('{') ? this.body() : null;
        if (!name && !body) this.fail('expected a variant name or body');
        return { k: 'variant', name, tag, body, offset: t.offset };
      }
      case 'enum': {
        const name = this.peek().kind === 'ident' ? this.next().text : null;
        let container: SpecifierList | null = null;
        if (this.at(':')) {
          this.next();
          container = this.specifiers(true);
        }
        let body: Enumerator[] | null = null;
        if (this.at('{')) {
          this.next();
          body = [];
          while (!this.at('}')) {
            const lt = this.peek();
            let label: string;
            if (lt.kind === 'ident' || lt.kind === 'string') label = this.next().text;
            else this.fail('expected an enumeration label');
            const values: TsdlValue[] = [];
            if (this.at('=')) {
              this.next();
              values.push(this.value());
              if (this.at('...')) {
                this.next();
                values.push(this.value());
              }
            }
            body.push({ label, values, offset: lt.offset });
            if (!this.at(',')) break;
            this.next();
          }
          this.expect('}');
        }
        if (!name && !body) this.fail('expected an enumeration name or body');
        return { k: 'enum', name, container, body, offset: t.offset };
      }
      default:
        this.fail('expected a type specifier', t);
    }
  }

  /** `{ name = value; ... }` of integer/floating_point/string. */
  private attributes(required: boolean): Attribute[] {
    if (!this.at('{')) {
      if (required) this.fail("expected '{'");
      return [];
    }
    this.next();
    // the lexer stands right after '{' when nothing is queued: try the cache
    const key = this.head === this.ahead.length ? this.lexer.peekSimpleBlock() : null;
    if (key !== null) {
      const hit = this.attributeCache.get(key);
      if (hit) {
        this.lexer.advance(key.length + 1);
        return hit;
      }
    }
    const attrs: Attribute[] = [];
    while (!this.at('}')) {
      const n = this.ident('an attribute name');
      this.expect('=');
      attrs.push({ name: n.text, value: this.value(), offset: n.offset });
      this.expect(';');
    }
    this.expect('}');
    if (key !== null && this.attributeCache.size < 10_000) this.attributeCache.set(key, attrs);
    return attrs;
  }

  private body(): BodyEntry[] {
    this.expect('{');
    this.pushScope();
    const entries: BodyEntry[] = [];
    while (!this.at('}')) entries.push(this.bodyEntry());
    this.popScope();
    this.expect('}');
    return entries;
  }

  /** `*... name [len]...`; `abstract` allows a missing name. */
  private declarator(abstract: boolean): Declarator {
    const start = this.peek();
    let pointers = 0;
    while (this.at('*')) {
      this.next();
      pointers++;
      if (this.at('const')) this.next();
    }
    let name: string | null = null;
    if (this.at('(')) {
      // parenthesised declarator: `(name)[3]`
      this.next();
      const inner = this.declarator(abstract);
      this.expect(')');
      name = inner.name;
      pointers += inner.pointers;
    } else if (this.peek().kind === 'ident') {
      name = this.next().text;
    } else if (!abstract) {
      this.fail('expected a field name');
    }
    const lengths: TsdlValue[] = [];
    while (this.at('[')) {
      this.next();
      lengths.push(this.value());
      this.expect(']');
    }
    return { name, pointers, lengths, offset: start.offset };
  }
}
