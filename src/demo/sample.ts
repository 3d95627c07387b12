/**
 * The sample bundle shipped with tracewire (`samples/seed-demo/`): a real recording of
 * `tracewire demo`, shown by `npm start` where this machine cannot record, so that a
 * newcomer always sees the whole result.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TracewireError } from '../base/errors.js';

/** Name of the sample bundle's directory under `samples/`. */
export const SAMPLE_NAME = 'seed-demo';

/** The package's `samples/` directory (next to `dist/` and `src/`). */
export function samplesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'samples');
}

/** The sample bundle's directory; throws a TracewireError when it is missing from this install. */
export function sampleBundleDir(): string {
  const dir = join(samplesDir(), SAMPLE_NAME);
  if (!existsSync(join(dir, 'bundle.json'))) throw new TracewireError(`demo: the sample bundle ${dir} is missing from this installation`);
  return dir;
}
