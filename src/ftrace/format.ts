/**
 * Parser for tracefs `events/<system>/<event>/format` files: the kernel's own description
 * of an event record's binary layout (field declarations with offset, size and signedness)
 * plus its print format. One parsed `EventFormat` drives both the generic field decoder
 * and the ftrace → LTTng mapping.
 *
 * A field line looks like
 *   `field:__data_loc char[] name;	offset:20;	size:4;	signed:0;`
 * The C declaration is split into a type and a name; arrays, `__data_loc` / `__rel_loc`
 * dynamic arrays, pointers and plain integers are classified once, here.
 */
import { FormatError } from '../base/errors.js';

/** How the bytes of one field are laid out and what they mean. */
export type FieldLayout =
  /** A scalar integer (bool, enum, pointer and plain integers) of 1, 2, 4 or 8 bytes. */
  | { readonly kind: 'int'; readonly size: number; readonly signed: boolean; readonly pointer: boolean }
  /** A fixed-size char array holding NUL-terminated text (`char comm[16]`). */
  | { readonly kind: 'text'; readonly size: number }
  /** A fixed-size array of integers (`__u8 saddr[4]`). */
  | { readonly kind: 'array'; readonly count: number; readonly elementSize: number; readonly signed: boolean }
  /**
   * A dynamic array stored after the fixed part: the 4-byte field holds the location
   * (low 16 bits: offset, high 16 bits: length in bytes). `relative` marks `__rel_loc`,
   * whose offset counts from the end of the location field instead of the record start.
   * `text` marks `char[]` (a NUL-terminated string).
   */
  | { readonly kind: 'dynamic'; readonly relative: boolean; readonly text: boolean; readonly elementSize: number; readonly signed: boolean }
  /** Anything else (an embedded struct): kept as raw bytes. */
  | { readonly kind: 'bytes'; readonly size: number };

export interface FormatField {
  /** Field name as declared (`prev_comm`, `__syscall_nr`). */
  readonly name: string;
  /** C type as declared, without the name and array brackets (`char`, `const void *`). */
  readonly type: string;
  readonly offset: number;
  readonly size: number;
  readonly signed: boolean;
  readonly layout: FieldLayout;
}

export interface EventFormat {
  /** Subsystem directory (`sched`, `syscalls`). */
  readonly system: string;
  readonly name: string;
  /** The `common_type` value identifying this event in the ring buffer. */
  readonly id: number;
  /** `common_*` fields (type, flags, preempt count, pid). */
  readonly commonFields: readonly FormatField[];
  /** The event's own fields, in declaration order. */
  readonly fields: readonly FormatField[];
  readonly printFormat: string;
}

/** Byte sizes of the C element types that appear in dynamic arrays (`__data_loc u32[]`). */
const ELEMENT_SIZES: Readonly<Record<string, number>> = {
  char: 1, 'unsigned char': 1, 'signed char': 1, u8: 1, __u8: 1, s8: 1, __s8: 1, bool: 1,
  short: 2, 'unsigned short': 2, u16: 2, __u16: 2, s16: 2, __s16: 2, __be16: 2,
  int: 4, 'unsigned int': 4, unsigned: 4, u32: 4, __u32: 4, s32: 4, __s32: 4, __be32: 4, pid_t: 4,
  long: 8, 'unsigned long': 8, 'long long': 8, 'unsigned long long': 8, u64: 8, __u64: 8, s64: 8, __s64: 8,
  size_t: 8, cpumask_t: 8,
};

const SIGNED_ELEMENTS = new Set(['char', 'signed char', 's8', '__s8', 'short', 's16', '__s16', 'int', 's32', '__s32', 'pid_t', 'long', 'long long', 's64', '__s64']);

const FIELD_LINE = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

/**
 * Parses the text of one `format` file. `file` names it in errors. Throws FormatError
 * when the header (name, ID) or a field line is malformed.
 */
export function parseEventFormat(text: string, file: string, system = ''): EventFormat {
  const name = /^name:\s*(\S+)\s*$/m.exec(text)?.[1];
  const idText = /^ID:\s*(\d+)\s*$/m.exec(text)?.[1];
  if (!name || !idText) throw new FormatError(file, undefined, 'not a tracefs event format (no name/ID line)');
  const commonFields: FormatField[] = [];
  const fields: FormatField[] = [];
  let printFormat = '';
  let byteOffset = 0;
  for (const line of text.split('\n')) {
    const m = FIELD_LINE.exec(line);
    if (m) {
      const field = parseField(m[1]!, Number(m[2]), Number(m[3]), m[4] === '1', file, byteOffset);
      (field.name.startsWith('common_') ? commonFields : fields).push(field);
    } else if (line.startsWith('print fmt:')) {
      printFormat = line.slice('print fmt:'.length).trim();
    } else if (/^\s*field:/.test(line)) {
      throw new FormatError(file, byteOffset, `malformed field line '${line.trim()}'`);
    }
    byteOffset += line.length + 1;
  }
  return { system, name, id: Number(idText), commonFields, fields, printFormat };
}

/** Splits `unsigned char prev_comm[16]` into type, name and array length. */
function parseField(decl: string, offset: number, size: number, signed: boolean, file: string, at: number): FormatField {
  const m = /^(.*?)([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[([^\]]*)\])?\s*$/.exec(decl.trim());
  if (!m) throw new FormatError(file, at, `cannot read field declaration '${decl}'`);
  let type = m[1]!.trim();
  const name = m[2]!;
  const bracket = m[3];
  // `__data_loc char[] name`: the brackets belong to the type, before the name.
  const dyn = /^(__data_loc|__rel_loc)\s+(.*?)\s*\[\s*\]$/.exec(type);
  let layout: FieldLayout;
  if (dyn) {
    const element = dyn[2]!.replace(/^const\s+/, '');
    type = `${dyn[1]} ${element}[]`;
    layout = {
      kind: 'dynamic',
      relative: dyn[1] === '__rel_loc',
      text: element === 'char',
      elementSize: ELEMENT_SIZES[element] ?? 1,
      signed: SIGNED_ELEMENTS.has(element),
    };
  } else if (bracket !== undefined) {
    const declared = Number(bracket);
    const element = type.replace(/^const\s+/, '');
    const elementSize = ELEMENT_SIZES[element] ?? (Number.isInteger(declared) && declared > 0 ? size / declared : 1);
    const count = elementSize > 0 ? Math.floor(size / elementSize) : size;
    if (element === 'char' || (element === 'unsigned char' && /comm|name/.test(name))) layout = { kind: 'text', size };
    else if ([1, 2, 4, 8].includes(elementSize) && count * elementSize === size) layout = { kind: 'array', count, elementSize, signed: SIGNED_ELEMENTS.has(element) || signed };
    else layout = { kind: 'bytes', size };
  } else if ([1, 2, 4, 8].includes(size)) {
    layout = { kind: 'int', size, signed, pointer: type.includes('*') };
  } else {
    layout = { kind: 'bytes', size };
  }
  return { name, type, offset, size, signed, layout };
}

/** Every field, common ones first, as in the format file. */
export function allFields(format: EventFormat): FormatField[] {
  return [...format.commonFields, ...format.fields];
}
