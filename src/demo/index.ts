/**
 * `tracewire demo`: the seed experiment in one command (see run-demo.ts), its network lab
 * (lab.ts), the scripted ncat session (seed-session.ts) and the committed sample bundle
 * (sample.ts).
 *
 * ```ts
 * const r = await runDemo({ outDir: 'out/demo', onProgress: (l) => console.error(l) });
 * if (r.story) process.stdout.write(storyText(r.story));
 * ```
 */
export { runDemo, storyOfBundle, storyText, type DemoOptions, type DemoResult } from './run-demo.js';
export { DemoLab, netnsExists, netnsPids, type LabHost, type LabOptions } from './lab.js';
export { runSeedSession, type SeedSessionOptions, type SeedSessionResult } from './seed-session.js';
export { ProcessTracker, type TrackedProcess } from './processes.js';
export { prepareNcat, tracewireBin, type NcatCommand } from './ncat-command.js';
export { cannotRecordReason } from './preflight.js';
export { sampleBundleDir, samplesDir, SAMPLE_NAME } from './sample.js';
export { readDemoJson, DEMO_FILE, type DemoJson, type DemoHostJson } from './demo-json.js';
