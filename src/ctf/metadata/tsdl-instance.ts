/**
 * What a TSDL metadata text shares with other recordings, and what is its own. Two
 * recordings by the same tracer on the same machine declare the same types, streams and
 * event classes — a kernel trace's ~300 KB, 1,200 event classes — and differ only in the
 * trace UUID, the `env` block (creation time, hostname…) and the `clock` blocks (UUID,
 * offset). The metadata cache (metadata-cache.ts) keys a model by the file's bytes, so
 * every new recording missed it and paid the full parse; with this split it reuses the
 * model of any trace with the same declarations and decodes only the rest.
 *
 * - `declarations`: the text with the `env` and `clock` blocks replaced by markers (their
 *   place is kept) and the trace block's `uuid = "…";` removed;
 * - `skeleton`: the text without its event blocks — what the resolver needs to build this
 *   trace's own UUID, environment and clocks, in a few milliseconds.
 *
 * Null (no sharing) when the text does not lex, or when its declarations read `env.`
 * values (an array length may come from the environment: it would not be shared).
 */
import { Lexer, type Token } from './tsdl-lexer.js';

export interface TsdlSplit {
  readonly declarations: string;
  readonly skeleton: string;
}

type Span = readonly [start: number, end: number, replacement: string];

export function splitTsdlInstance(text: string): TsdlSplit | null {
  let spans: { own: Span[]; events: Span[] };
  try {
    spans = topLevelSpans(text);
  } catch {
    return null; // the full parse reports what is wrong
  }
  const declarations = cut(text, spans.own);
  if (declarations.includes('env.')) return null;
  return { declarations, skeleton: cut(text, spans.events) };
}

function cut(text: string, spans: readonly Span[]): string {
  let out = '';
  let at = 0;
  for (const [start, end, replacement] of spans) {
    out += text.slice(at, start) + replacement;
    at = end;
  }
  return out + text.slice(at);
}

/**
 * The spans of the top-level `env` and `clock` blocks and of the trace UUID assignment
 * (`own`), and of the `event` blocks, in text order. Event, env and clock blocks are
 * skipped without tokens (Lexer.skipBlock); the trace block is read token by token.
 */
function topLevelSpans(text: string): { own: Span[]; events: Span[] } {
  const lexer = new Lexer(text);
  const own: Span[] = [];
  const events: Span[] = [];
  const isPunct = (t: Token, p: string) => t.kind === 'punct' && t.text === p;
  let depth = 0;
  let t = lexer.next();
  while (t.kind !== 'eof') {
    if (depth === 0 && t.kind === 'ident' && (t.text === 'env' || t.text === 'clock' || t.text === 'event' || t.text === 'trace')) {
      const block = t;
      const brace = lexer.next();
      if (isPunct(brace, '{')) {
        if (block.text === 'trace') {
          const uuid = traceUuidSpan(lexer);
          if (uuid) own.push(uuid);
        } else lexer.skipBlock();
        const semi = lexer.next();
        if (!isPunct(semi, ';')) throw new Error('block without its semicolon');
        const span: Span = [block.offset, semi.offset + 1, block.text === 'event' ? '' : `\0${block.text}\0`];
        if (block.text === 'event') events.push(span);
        else if (block.text !== 'trace') own.push(span);
        t = lexer.next();
        continue;
      }
      t = brace;
      continue;
    }
    if (isPunct(t, '{')) depth++;
    else if (isPunct(t, '}')) depth--;
    t = lexer.next();
  }
  own.sort((a, b) => a[0] - b[0]);
  return { own, events };
}

/** Reads the trace block up to its closing brace; the span of `uuid = "…";` in it, if any. */
function traceUuidSpan(lexer: Lexer): Span | null {
  let depth = 1;
  let found: Span | null = null;
  for (;;) {
    const t = lexer.next();
    if (t.kind === 'eof') throw new Error('unterminated trace block');
    if (t.kind === 'punct' && t.text === '{') depth++;
    else if (t.kind === 'punct' && t.text === '}') {
      if (--depth === 0) return found;
    } else if (depth === 1 && t.kind === 'ident' && t.text === 'uuid') {
      const eq = lexer.next();
      const value = lexer.next();
      const semi = lexer.next();
      if (eq.text !== '=' || value.kind !== 'string' || semi.text !== ';') throw new Error('unexpected uuid assignment');
      found = [t.offset, semi.offset + 1, ''];
    }
  }
}
