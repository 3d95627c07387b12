/**
 * Which option of a variant a decoded value came from. A decoded variant is just its
 * option's value (the reader does not record the choice), so the formatters print it
 * with the first option whose values have that shape.
 */
import type { FieldValue } from '../../model/trace-event.js';
import type { FieldClass } from '../metadata/model.js';

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
