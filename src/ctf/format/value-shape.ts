/**
 * Which option of a variant a decoded value came from. A decoded variant is just its
 * option's value (the reader does not record the choice). When the variant's tag is a
 * member of the same structure — the usual layout — its value says exactly which option
 * was chosen (`variantOption`); otherwise the formatters print the value with the first
 * option whose values have its shape (`valueFitsClass`), which cannot tell a whole-valued
 * float from an earlier integer option, or `{ a }` from a later `{ a, b }`.
 */
import type { FieldValue } from '../../model/trace-event.js';
import type { FieldClass, StructMember, VariantClass } from '../metadata/model.js';

/**
 * The member name of a variant's tag when the tag is a member of the structure that holds
 * the variant (a relative reference of one name that this structure declares before it),
 * else null.
 */
export function siblingTag(members: readonly StructMember[], index: number): string | null {
  const fc = members[index]!.fc;
  if (fc.kind !== 'variant') return null;
  const r = fc.tagRef;
  const name = r.scope === null && r.path.length === 1 ? r.path[0] : null;
  if (name === null || name === undefined) return null;
  for (let i = index - 1; i >= 0; i--) if (members[i]!.name === name) return members[i]!.fc.inIr ? name : null;
  return null;
}

/** The index of the option that tag value `tag` selects, or -1 (no usable tag value). */
export function variantOption(fc: VariantClass, tag: FieldValue | undefined): number {
  if (typeof tag === 'number') {
    if (!Number.isInteger(tag)) return -1;
  } else if (typeof tag !== 'bigint') return -1;
  const t = BigInt(tag);
  for (let k = 0; k < fc.options.length; k++) {
    for (const [lo, hi] of fc.options[k]!.ranges) if (t >= BigInt(lo) && t <= BigInt(hi)) return k;
  }
  return -1;
}

/**
 * True when `v` can be a decoded value of `fc`: a structure with all its in-IR members,
 * an array, a string, an integer (a bigint or an integral number), a float, a boolean.
 * Kinds that cannot be told apart by their value (BLOBs, variants, optionals) always fit.
 */
export function valueFitsClass(fc: FieldClass, v: FieldValue): boolean {
  switch (fc.kind) {
    case 'struct':
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
      for (const m of fc.members) if (m.fc.inIr && !(m.name in v)) return false;
      return true;
    case 'array':
    case 'sequence':
      return fc.isText ? typeof v === 'string' : Array.isArray(v);
    case 'string':
    case 'static-string':
    case 'dynamic-string':
      return typeof v === 'string';
    case 'float':
      return typeof v === 'number';
    case 'int':
    case 'varint':
    case 'bits':
      return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
    case 'bool':
      return typeof v === 'boolean';
    default:
      return true;
  }
}
