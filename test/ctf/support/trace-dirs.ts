/** Finding the traces of a directory tree, for tests that run over every shared trace. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

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
