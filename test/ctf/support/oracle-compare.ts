/**
 * Compares `tracewire events --format jsonl` with ctf-oracle output: the same records in
 * the same timestamp order, where records sharing a timestamp may come in any order
 * (babeltrace2's muxer and ours break ties differently).
 *
 * One babeltrace2 2.0 bug is recognised and counted rather than failed: when a string
 * field is empty, babeltrace2 2.0 keeps the value of that field from the previous event
 * of the same class in the same stream (its event objects are recycled and an empty
 * string never clears the old value). The bytes say "" and tracewire prints "".
 */

export interface Comparison {
  readonly equal: boolean;
  readonly records: number;
  /** Records that differ only by babeltrace2 2.0's empty-string reuse bug. */
  readonly babeltraceStringReuse: number;
  readonly firstDifference?: string;
}

type Rec = Record<string, unknown>;

/** The record's timestamp as text (JSON numbers beyond 2^53 would lose precision). */
function keyOf(line: string): string {
  const m = /^\{"ts":(-?\d+|null)/.exec(line) ?? /"begin":(-?\d+|null)/.exec(line);
  return m ? m[1]! : '';
}

function groups(lines: string[]): Array<{ key: string; lines: string[] }> {
  const out: Array<{ key: string; lines: string[] }> = [];
  for (const l of lines) {
    const k = keyOf(l);
    const last = out[out.length - 1];
    if (last && last.key === k) last.lines.push(l);
    else out.push({ key: k, lines: [l] });
  }
  return out;
}

/** True when `ours` equals `theirs` but for string fields babeltrace refilled from `previous`. */
function stringReuse(ours: Rec, theirs: Rec, previous: Rec | undefined): boolean {
  if (!previous) return false;
  const a = { ...ours, payload: undefined };
  const b = { ...theirs, payload: undefined };
  if (JSON.stringify(a) !== JSON.stringify(b)) return false;
  const pa = ours.payload as Rec;
  const pb = theirs.payload as Rec;
  const pp = previous.payload as Rec;
  const keys = Object.keys(pb);
  if (JSON.stringify(Object.keys(pa)) !== JSON.stringify(keys)) return false;
  let reused = false;
  for (const k of keys) {
    if (JSON.stringify(pa[k]) === JSON.stringify(pb[k])) continue;
    if (pa[k] === '' && typeof pb[k] === 'string' && pp && pb[k] === pp[k]) reused = true;
    else return false;
  }
  return reused;
}

export function compareJsonl(oursText: string, oracleText: string): Comparison {
  const ours = oursText.split('\n').filter((l) => l !== '');
  const theirs = oracleText.split('\n').filter((l) => l !== '');
  if (ours.length !== theirs.length) {
    return { equal: false, records: theirs.length, babeltraceStringReuse: 0, firstDifference: `${ours.length} records instead of ${theirs.length}` };
  }
  const ga = groups(ours);
  const gb = groups(theirs);
  // last event of each (stream, name) in the oracle output, to recognise the reuse bug
  const lastOf = new Map<string, Rec>();
  let reuse = 0;
  for (let i = 0; i < Math.max(ga.length, gb.length); i++) {
    const a = ga[i];
    const b = gb[i];
    if (!a || !b || a.key !== b.key || a.lines.length !== b.lines.length) {
      return { equal: false, records: theirs.length, babeltraceStringReuse: reuse, firstDifference: `at timestamp group ${i}: ours ${a?.lines[0]} / oracle ${b?.lines[0]}` };
    }
    const sa = [...a.lines].sort();
    const sb = [...b.lines].sort();
    for (let k = 0; k < sa.length; k++) {
      if (sa[k] === sb[k]) continue;
      const ra = JSON.parse(sa[k]!) as Rec;
      const rb = JSON.parse(sb[k]!) as Rec;
      if (stringReuse(ra, rb, lastOf.get(`${rb.stream_class}/${rb.stream}/${rb.event}`))) {
        reuse++;
        continue;
      }
      return { equal: false, records: theirs.length, babeltraceStringReuse: reuse, firstDifference: `ours ${sa[k]}\noracle ${sb[k]}` };
    }
    for (const l of b.lines) {
      const r = JSON.parse(l) as Rec;
      if ('event' in r) lastOf.set(`${r.stream_class}/${r.stream}/${r.event}`, r);
    }
  }
  return { equal: true, records: theirs.length, babeltraceStringReuse: reuse };
}
