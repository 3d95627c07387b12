/** Trace directories for tests: finding the traces of a tree, damageable copies, the hand-made set. */
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeBigEndianMinimal, writeKitchenSink } from './ctf1-synthetic.js';
import { writeLttngUstCtf2, writeRelativeBeCtf2 } from './ctf2-fixtures.js';

/** Every `metadata` file under `root`, at any depth, sorted; none when `root` does not exist. */
export function metadataFilesUnder(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name === 'metadata') out.push(join(d, e.name));
    }
  };
  if (existsSync(root)) walk(root);
  return out.sort();
}

/**
 * A copy of the trace directory `src` at `dst` (replaced if present) that tests may damage:
 * shared traces can be read-only, so directories get 0755 and files 0644.
 */
export function writableTraceCopy(src: string, dst: string): string {
  rmSync(dst, { recursive: true, force: true });
  mkdirSync(dirname(dst), { recursive: true });
  cpSync(src, dst, { recursive: true });
  const fix = (d: string) => {
    chmodSync(d, 0o755);
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) fix(p);
      else chmodSync(p, 0o644);
    }
  };
  fix(dst);
  return dst;
}

/**
 * The hand-made traces the decoder tiers are compared on, written under `dir`: the
 * CTF 1.8 kitchen sink (babeltrace-compatible and with absolute tags), a big-endian
 * trace, and the CTF 2 LTTng-UST and relative big-endian fixtures.
 */
export function writeHandMadeTraces(dir: string): string[] {
  const dirs = ['kitchen-sink', 'absolute-tags', 'big-endian', 'ctf2-lttng', 'ctf2-relative-be'].map((d) => join(dir, d));
  writeKitchenSink(dirs[0]!);
  writeKitchenSink(dirs[1]!, true);
  writeBigEndianMinimal(dirs[2]!);
  writeLttngUstCtf2(dirs[3]!);
  writeRelativeBeCtf2(dirs[4]!);
  return dirs;
}
