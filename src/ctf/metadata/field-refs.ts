/**
 * Resolution of the references that make a field's layout depend on another field:
 * sequence and dynamic string/BLOB lengths, variant tags, optional selectors. Each target
 * is checked (it must be decoded before the dependent field, and be an integer or an
 * enumeration as required) and gets a stored-value slot that the generated decoders
 * write when they decode it and read when they decode the dependent field.
 *
 * TSDL paths (CTF 1.8 §7.3.2) are absolute (`stream.event.header.id`) or relative, in which
 * case babeltrace2 searches the enclosing structures outwards within the same scope.
 * CTF 2 locations are absolute (`origin`) or relative to the containing structure, with
 * `null` path elements meaning "parent structure".
 */
import { MetadataError } from './metadata-error.js';
import type { FieldClass, FieldRef, ScopeName, StructClass, TraceClass, VariantClass } from './model.js';
import { SCOPE_ORDER } from './model.js';

interface Frame {
  fc: FieldClass;
  /** Index of the child being visited (-1 inside arrays/sequences). */
  index: number;
}

interface Located {
  root: ScopeName;
  path: number[];
  fc: FieldClass;
}

type ScopeRoots = Partial<Record<ScopeName, StructClass | null>>;

/** Resolves every reference of `tc`, assigning stored-value slots; throws MetadataError. */
export function resolveFieldRefs(tc: TraceClass): void {
  const roots: ScopeRoots = { 'packet-header': tc.packetHeader };
  walkRoot(tc, roots, 'packet-header');
  for (const sc of tc.streamClasses.values()) {
    roots['packet-context'] = sc.packetContext;
    roots['event-header'] = sc.eventHeader;
    roots['event-common-context'] = sc.eventCommonContext;
    delete roots['event-specific-context'];
    delete roots['event-payload'];
    walkRoot(tc, roots, 'packet-context');
    walkRoot(tc, roots, 'event-header');
    walkRoot(tc, roots, 'event-common-context');
    for (const ec of sc.eventClasses.values()) {
      roots['event-specific-context'] = ec.specificContext;
      roots['event-payload'] = ec.payload;
      walkRoot(tc, roots, 'event-specific-context', ec.name);
      walkRoot(tc, roots, 'event-payload', ec.name);
    }
    delete roots['event-specific-context'];
    delete roots['event-payload'];
  }
}

function walkRoot(tc: TraceClass, roots: ScopeRoots, scope: ScopeName, eventName?: string): void {
  const root = roots[scope];
  if (!root) return;
  visit(tc, roots, scope, [], root, eventName);
}

function visit(tc: TraceClass, roots: ScopeRoots, scope: ScopeName, stack: Frame[], fc: FieldClass, eventName: string | undefined): void {
  switch (fc.kind) {
    case 'struct': {
      const frame: Frame = { fc, index: 0 };
      stack.push(frame);
      const ms = fc.members;
      for (let i = 0; i < ms.length; i++) {
        const m = ms[i]!.fc;
        // leaves without references need no visit
        if (m.kind === 'int' || m.kind === 'string' || m.kind === 'float') continue;
        frame.index = i;
        visit(tc, roots, scope, stack, m, eventName);
      }
      stack.pop();
      break;
    }
    case 'variant': {
      resolveOne(tc, roots, scope, stack, fc, eventName);
      const frame: Frame = { fc, index: 0 };
      stack.push(frame);
      for (let i = 0; i < fc.options.length; i++) {
        frame.index = i;
        visit(tc, roots, scope, stack, fc.options[i]!.fc, eventName);
      }
      stack.pop();
      break;
    }
    case 'array':
    case 'sequence':
      if (fc.kind === 'sequence') resolveOne(tc, roots, scope, stack, fc, eventName);
      stack.push({ fc, index: -1 });
      visit(tc, roots, scope, stack, fc.elem, eventName);
      stack.pop();
      break;
    case 'optional':
      resolveOne(tc, roots, scope, stack, fc, eventName);
      stack.push({ fc, index: 0 });
      visit(tc, roots, scope, stack, fc.fc, eventName);
      stack.pop();
      break;
    case 'dynamic-string':
    case 'blob':
      resolveOne(tc, roots, scope, stack, fc, eventName);
      break;
    default:
      break;
  }
}

function refOf(fc: FieldClass): FieldRef | null {
  switch (fc.kind) {
    case 'sequence':
    case 'dynamic-string':
      return fc.lengthRef;
    case 'blob':
      return fc.lengthRef;
    case 'variant':
      return fc.tagRef;
    case 'optional':
      return fc.selectorRef;
    default:
      return null;
  }
}

function describe(fc: FieldClass): string {
  switch (fc.kind) {
    case 'sequence':
      return 'sequence length';
    case 'dynamic-string':
      return 'dynamic-length string length';
    case 'blob':
      return 'dynamic-length BLOB length';
    case 'variant':
      return 'variant tag';
    case 'optional':
      return 'optional selector';
    default:
      return 'field';
  }
}

function resolveOne(tc: TraceClass, roots: ScopeRoots, scope: ScopeName, stack: Frame[], fc: FieldClass, eventName?: string): void {
  const ref = refOf(fc);
  if (!ref) return;
  const where = eventName ? ` in event '${eventName}'` : '';
  const fail: (why: string) => never = (why) => {
    throw new MetadataError(`cannot resolve ${describe(fc)} '${ref.text}'${where}: ${why}`, ref.offset);
  };
  let found: Located | null;
  if (ref.scope) {
    const root = roots[ref.scope];
    if (root === undefined) return fail(`scope ${ref.scope} is not decoded before ${scope}`);
    if (!root) return fail(`scope ${ref.scope} is empty`);
    found = ref.style === 'tsdl' ? tokensToPath(ref.path as string[], root, Number.MAX_SAFE_INTEGER) : ctf2Descend(root, ref.path, []);
    if (found) found = { ...found, root: ref.scope };
  } else if (ref.style === 'tsdl') {
    found = tsdlRelative(ref.path as string[], stack);
    if (found) found = { ...found, root: scope };
  } else {
    found = ctf2Relative(ref.path, stack);
    if (found) found = { ...found, root: scope };
  }
  if (!found) fail('no such field');
  if (found.path.length === 0) fail('a reference cannot target a whole scope');
  // the target must be decoded before the dependent field
  if (SCOPE_ORDER.indexOf(found.root) > SCOPE_ORDER.indexOf(scope)) fail('the target is decoded after it');
  if (found.root === scope) {
    const here = stack.map((f) => f.index);
    let lca = 0;
    while (lca < found.path.length && lca < here.length && found.path[lca] === here[lca]) lca++;
    if (lca === found.path.length || lca === here.length) fail('the target contains, or is contained by, the dependent field');
    if (found.path[lca]! >= here[lca]!) fail('the target is decoded after it');
  }
  const target = found.fc;
  switch (fc.kind) {
    case 'variant':
      if ((target.kind !== 'int' && target.kind !== 'varint') || (fc.tagRef.style === 'tsdl' && !target.mappings)) fail('the tag is not an enumeration');
      fc.tagField = target;
      if (fc.tagRef.style === 'tsdl') assignTsdlVariantRanges(fc, fail);
      break;
    case 'optional':
      if (target.kind === 'bool') {
        if (fc.ranges) fail('a boolean selector cannot have selector ranges');
      } else if (target.kind === 'int' || target.kind === 'varint') {
        if (!fc.ranges) fail('an integer selector needs selector ranges');
      } else fail('the selector is not a boolean or an integer');
      fc.selectorField = target;
      break;
    default:
      if ((target.kind !== 'int' && target.kind !== 'varint') || target.signed) fail('the length is not an unsigned integer');
      (fc as { lengthField: typeof target }).lengthField = target;
      break;
  }
  if ((target.kind === 'int' || target.kind === 'varint' || target.kind === 'bool') && target.storeSlot < 0) target.storeSlot = tc.storedValueCount++;
}

/** babeltrace2's ptokens_to_field_path: member names from `fc`, arrays entered implicitly. */
function tokensToPath(tokens: string[], start: FieldClass, srcIndex: number): Located | null {
  let fc = start;
  const path: number[] = [];
  let k = 0;
  let firstDone = false;
  while (k < tokens.length) {
    if (fc.kind === 'array' || fc.kind === 'sequence') {
      path.push(-1);
      fc = fc.elem;
      continue;
    }
    let idx = -1;
    if (fc.kind === 'struct') idx = findIndex(fc.members, tokens[k]!);
    else if (fc.kind === 'variant') idx = findIndex(fc.options, tokens[k]!);
    if (idx < 0) return null;
    if (idx > srcIndex && !firstDone) return null;
    firstDone = true;
    path.push(idx);
    fc = fc.kind === 'struct' ? fc.members[idx]!.fc : (fc as VariantClass).options[idx]!.fc;
    k++;
  }
  return { root: 'packet-header', path, fc };
}

function findIndex(items: ReadonlyArray<{ name: string; raw: string }>, token: string): number {
  let i = items.findIndex((m) => m.name === token);
  if (i < 0) i = items.findIndex((m) => m.raw === token);
  return i;
}

function tsdlRelative(tokens: string[], stack: Frame[]): Located | null {
  for (let pos = stack.length - 1; pos >= 0; pos--) {
    const frame = stack[pos]!;
    const tail = tokensToPath(tokens, frame.fc, frame.index);
    if (tail) return { root: 'packet-header', path: [...stack.slice(0, pos).map((f) => f.index), ...tail.path], fc: tail.fc };
  }
  return null;
}

function ctf2Descend(start: StructClass, path: ReadonlyArray<string | null>, prefix: number[]): Located | null {
  let fc: FieldClass = start;
  const out = [...prefix];
  for (const el of path) {
    if (el === null || fc.kind !== 'struct') return null;
    const idx = fc.members.findIndex((m) => m.raw === el);
    if (idx < 0) return null;
    out.push(idx);
    fc = fc.members[idx]!.fc;
  }
  return { root: 'packet-header', path: out, fc };
}

function ctf2Relative(path: ReadonlyArray<string | null>, stack: Frame[]): Located | null {
  // the structure containing the dependent field, then its ancestors for each leading null
  let pos = stack.length - 1;
  while (pos >= 0 && stack[pos]!.fc.kind !== 'struct') pos--;
  let k = 0;
  while (k < path.length && path[k] === null) {
    pos--;
    while (pos >= 0 && stack[pos]!.fc.kind !== 'struct') pos--;
    k++;
  }
  if (pos < 0) return null;
  return ctf2Descend(stack[pos]!.fc as StructClass, path.slice(k), stack.slice(0, pos).map((f) => f.index));
}

/** CTF 1.8: a variant option is chosen by the tag enumeration's label of the same name. */
function assignTsdlVariantRanges(v: VariantClass, fail: (why: string) => never): void {
  const tag = v.tagField!;
  const mappings = tag.mappings ?? [];
  for (const o of v.options) {
    o.ranges = [];
    for (const m of mappings) if (m.label === o.name || m.label === o.raw) o.ranges.push(...m.ranges);
  }
  if (v.options.length === 0) fail('the variant has no options');
}
