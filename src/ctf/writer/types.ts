/**
 * The field types the CTF writer can declare, and their TSDL text in lttng-modules'
 * exact style (`integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; } _tid;`).
 *
 * Like LTTng on x86, every type is byte-aligned (`align = 8` bits), so the binary layout
 * is packed: a field starts right after the previous one. Field names are written with
 * LTTng's leading underscore, which CTF readers strip (`_prev_tid` reads as `prev_tid`).
 */

export interface CtfIntegerType {
  readonly kind: 'integer';
  /** Size in bits: 8, 16, 32 or 64. */
  readonly size: 8 | 16 | 32 | 64;
  readonly signed: boolean;
  /** Display base; LTTng uses 16 for addresses (`ctf_integer_hex`), 8 for file flags. */
  readonly base?: 8 | 10 | 16;
  /** Big-endian storage (LTTng's `ctf_integer_network`); little-endian otherwise. */
  readonly bigEndian?: boolean;
  /** UTF8 for the elements of text arrays (`char comm[16]`). */
  readonly utf8?: boolean;
}

export type CtfType =
  | CtfIntegerType
  /** NUL-terminated UTF-8 string. */
  | { readonly kind: 'string' }
  /** Fixed-length array; with a UTF8 8-bit element it is text, as LTTng's `ctf_array_text`. */
  | { readonly kind: 'array'; readonly element: CtfIntegerType; readonly length: number }
  /** Variable-length array whose length is the preceding field `lengthField`. */
  | { readonly kind: 'sequence'; readonly element: CtfIntegerType; readonly lengthField: string };

export interface CtfField {
  /** Name without LTTng's underscore prefix (the writer adds it). */
  readonly name: string;
  readonly type: CtfType;
}

/** Shorthands for the integer types events use. */
export const int = {
  u8: { kind: 'integer', size: 8, signed: false } as CtfIntegerType,
  u16: { kind: 'integer', size: 16, signed: false } as CtfIntegerType,
  u32: { kind: 'integer', size: 32, signed: false } as CtfIntegerType,
  u64: { kind: 'integer', size: 64, signed: false } as CtfIntegerType,
  s8: { kind: 'integer', size: 8, signed: true } as CtfIntegerType,
  s16: { kind: 'integer', size: 16, signed: true } as CtfIntegerType,
  s32: { kind: 'integer', size: 32, signed: true } as CtfIntegerType,
  s64: { kind: 'integer', size: 64, signed: true } as CtfIntegerType,
  hex64: { kind: 'integer', size: 64, signed: false, base: 16 } as CtfIntegerType,
  char: { kind: 'integer', size: 8, signed: true, utf8: true } as CtfIntegerType,
} as const;

/** A `char name[length]` text field, as LTTng's `ctf_array_text`. */
export function textArray(length: number): CtfType {
  return { kind: 'array', element: int.char, length };
}

/** TSDL for one integer type, e.g. `integer { size = 32; align = 8; signed = 1; encoding = none; base = 10; }`. */
export function integerTsdl(t: CtfIntegerType): string {
  const order = t.bigEndian ? ' byte_order = be;' : '';
  return `integer { size = ${t.size}; align = 8; signed = ${t.signed ? 1 : 0}; encoding = ${t.utf8 ? 'UTF8' : 'none'}; base = ${t.base ?? 10};${order} }`;
}

/** TSDL declaration lines of `fields`, each indented by `indent` tabs. */
export function fieldsTsdl(fields: readonly CtfField[], indent: number): string {
  const tab = '\t'.repeat(indent);
  return fields.map((f) => `${tab}${fieldTsdl(f)}\n`).join('');
}

function fieldTsdl(f: CtfField): string {
  const t = f.type;
  switch (t.kind) {
    case 'integer':
      return `${integerTsdl(t)} _${f.name};`;
    case 'string':
      return `string _${f.name};`;
    case 'array':
      return `${integerTsdl(t.element)} _${f.name}[${t.length}];`;
    case 'sequence':
      return `${integerTsdl(t.element)} _${f.name}[ _${t.lengthField} ];`;
  }
}

/** Byte size of a fixed-size type, or undefined for strings and sequences. */
export function fixedSize(t: CtfType): number | undefined {
  if (t.kind === 'integer') return t.size / 8;
  if (t.kind === 'array') return (t.element.size / 8) * t.length;
  return undefined;
}
