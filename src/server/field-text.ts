/**
 * Event fields as one line of text for the Events table, close to babeltrace2's
 * `name = value` style: integers in decimal, strings quoted, structures in braces,
 * arrays in brackets.
 */
import type { FieldMap, FieldValue } from '../model/trace-event.js';

/** Text of one field value. Long byte arrays are cut after `maxItems` items. */
export function fieldValueText(v: FieldValue, maxItems = 32): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) {
    const items = v.slice(0, maxItems).map((x) => fieldValueText(x, maxItems));
    if (v.length > maxItems) items.push(`… ${v.length - maxItems} more`);
    return `[ ${items.join(', ')} ]`;
  }
  return `{ ${fieldMapText(v, maxItems)} }`;
}

/** `a = 1, b = "x"` for a structure's members. */
export function fieldMapText(m: FieldMap, maxItems = 32): string {
  const parts: string[] = [];
  for (const k in m) parts.push(`${k} = ${fieldValueText(m[k]!, maxItems)}`);
  return parts.join(', ');
}
