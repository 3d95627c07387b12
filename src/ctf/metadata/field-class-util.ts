/**
 * Operations on field classes: deep copies (aliases are copied on use so that resolution
 * can annotate each use separately), walking and searching, and babeltrace2's in-IR pass (the other
 * passes after parsing, alignments and text arrays, are one walk in tsdl-resolver.ts's
 * prepare()).
 */
import type { FieldClass, TraceClass } from './model.js';

/** Deep copy of a field class; clocks and enumeration mappings are shared (immutable). */
export function cloneFieldClass<T extends FieldClass>(fc: T): T {
  switch (fc.kind) {
    case 'struct':
      return { ...fc, members: fc.members.map((m) => ({ ...m, fc: cloneFieldClass(m.fc) })) };
    case 'array':
    case 'sequence':
      return { ...fc, elem: cloneFieldClass(fc.elem) };
    case 'variant':
      return { ...fc, options: fc.options.map((o) => ({ ...o, fc: cloneFieldClass(o.fc), ranges: [...o.ranges] })) };
    case 'optional':
      return { ...fc, fc: cloneFieldClass(fc.fc), ranges: fc.ranges ? [...fc.ranges] : null };
    default:
      return { ...fc };
  }
}

/** Calls `visit` on `fc` and every field class nested in it, parents first. */
export function walkFieldClass(fc: FieldClass | null, visit: (fc: FieldClass) => void): void {
  if (!fc) return;
  visit(fc);
  switch (fc.kind) {
    case 'struct':
      for (const m of fc.members) walkFieldClass(m.fc, visit);
      break;
    case 'array':
    case 'sequence':
      walkFieldClass(fc.elem, visit);
      break;
    case 'variant':
      for (const o of fc.options) walkFieldClass(o.fc, visit);
      break;
    case 'optional':
      walkFieldClass(fc.fc, visit);
      break;
    default:
      break;
  }
}

/** True when `test` holds for `fc` or for a field class nested in it (parents first; stops at the first). */
export function someFieldClass(fc: FieldClass, test: (fc: FieldClass) => boolean): boolean {
  if (test(fc)) return true;
  switch (fc.kind) {
    case 'struct':
      return fc.members.some((m) => someFieldClass(m.fc, test));
    case 'array':
    case 'sequence':
      return someFieldClass(fc.elem, test);
    case 'variant':
      return fc.options.some((o) => someFieldClass(o.fc, test));
    case 'optional':
      return someFieldClass(fc.fc, test);
    default:
      return false;
  }
}

/**
 * babeltrace2's "in IR" rule: integers that carry a role or a clock timestamp are consumed
 * by the reader and hidden, unless a sequence/variant depends on them; a structure whose
 * members are all hidden disappears (an originally empty one stays); headers are hidden.
 * Scopes are processed last to first so a dependent is seen before its target.
 */
export function updateInIr(tc: TraceClass): void {
  const dependents = new Set<FieldClass>();
  const update = (fc: FieldClass | null): void => {
    if (!fc) return;
    switch (fc.kind) {
      case 'int':
      case 'varint':
        fc.inIr = (!fc.mappedClock && !fc.role) || dependents.has(fc);
        break;
      case 'struct': {
        fc.inIr = fc.members.length === 0;
        for (let i = fc.members.length - 1; i >= 0; i--) {
          const m = fc.members[i]!;
          update(m.fc);
          if (m.fc.inIr) fc.inIr = true;
        }
        break;
      }
      case 'variant': {
        fc.inIr = false;
        for (let i = fc.options.length - 1; i >= 0; i--) {
          update(fc.options[i]!.fc);
          if (fc.options[i]!.fc.inIr) fc.inIr = true;
        }
        if (fc.inIr) {
          for (const o of fc.options) o.fc.inIr = true;
          if (fc.tagField) dependents.add(fc.tagField);
        }
        break;
      }
      case 'array':
      case 'sequence':
        update(fc.elem);
        fc.inIr = fc.elem.inIr;
        if (fc.kind === 'sequence' && fc.inIr && fc.lengthField) dependents.add(fc.lengthField);
        break;
      case 'optional':
        update(fc.fc);
        fc.inIr = fc.fc.inIr;
        if (fc.inIr && fc.selectorField) dependents.add(fc.selectorField);
        break;
      case 'dynamic-string':
        fc.inIr = true;
        if (fc.lengthField) dependents.add(fc.lengthField);
        break;
      case 'blob':
        fc.inIr = fc.role === null;
        if (fc.inIr && fc.lengthField) dependents.add(fc.lengthField);
        break;
      default:
        fc.inIr = true;
        break;
    }
  };
  const force = (fc: FieldClass | null, v: boolean) => walkFieldClass(fc, (f) => (f.inIr = v));
  for (const sc of tc.streamClasses.values()) {
    for (const ec of sc.eventClasses.values()) {
      update(ec.payload);
      update(ec.specificContext);
    }
    update(sc.eventCommonContext);
    force(sc.eventHeader, false);
    update(sc.packetContext);
  }
  force(tc.packetHeader, false);
}
