/**
 * `runDemo(options)`: the seed's experiment end to end, in one call — two hosts (network
 * namespaces joined by a veth pair), an ncat server and client, the recorder on both
 * hosts, the scripted session ("Hello", a line back, the client's reset), the analysis,
 * and the story of the server process.
 *
 * Cleanup. Everything the demo creates is undone on every path — success, exception,
 * the caller's AbortSignal (Ctrl-C/SIGTERM in the CLI), even `process.exit` — in reverse
 * order: processes killed by PID, namespaces deleted (taking the veth pair with them),
 * the ncat link removed. The recorder removes its own tracefs instance on every path.
 * `keep` leaves the namespaces for inspection (and says how to remove them).
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PrivilegeError, TracewireError, UsageError } from '../base/errors.js';
import { buildDataset } from '../bundle/index.js';
import { buildStory, renderStory, type Story } from '../analysis/story/index.js';
import { record, type RecordResult } from '../record/index.js';
import { DemoLab } from './lab.js';
import { prepareNcat } from './ncat-command.js';
import { cannotRecordReason } from './preflight.js';
import { ProcessTracker } from './processes.js';
import { runSeedSession, type SeedSessionResult } from './seed-session.js';
import { DEMO_FILE, type DemoJson } from './demo-json.js';

export interface DemoOptions {
  /** Bundle directory (created; must be empty if it exists). */
  readonly outDir: string;
  /** Run nmap's ncat (Debian's `ncat`) instead of tracewire's. */
  readonly realNcat?: boolean;
  /** Leave the namespaces in place afterwards. */
  readonly keep?: boolean;
  /** Stops the demo (processes killed, recording finished, everything removed). */
  readonly signal?: AbortSignal;
  /** Progress, one line at a time (the CLI writes them to stderr). */
  readonly onProgress?: (line: string) => void;
}

export interface DemoResult {
  readonly bundleDir: string;
  readonly recording: RecordResult;
  readonly session: SeedSessionResult | null;
  /** The story of the server process, or null when it could not be built (see storyError). */
  readonly story: Story | null;
  readonly storyError: string | null;
  /** Namespaces of the run (still there only with `keep`). */
  readonly netns: { readonly server: string; readonly client: string };
  /** Set when the run was interrupted or the session failed; the bundle holds what was recorded. */
  readonly interrupted: boolean;
  readonly sessionError: string | null;
}

/** Synchronous cleanup actions, run once, last added first. */
class CleanupStack {
  private readonly actions: Array<{ what: string; run: () => string[] | void }> = [];
  private readonly onExit = () => this.runAll();

  constructor() {
    // The last resort: a process.exit() somewhere still removes namespaces and processes.
    process.once('exit', this.onExit);
  }

  push(what: string, run: () => string[] | void): void {
    this.actions.push({ what, run });
  }

  /** Runs every action; returns the problems met (one line each). */
  runAll(): string[] {
    process.off('exit', this.onExit);
    const problems: string[] = [];
    while (this.actions.length) {
      const a = this.actions.pop()!;
      try {
        const p = a.run();
        if (p) problems.push(...p);
      } catch (err) {
        problems.push(`${a.what}: ${(err as Error).message}`);
      }
    }
    return problems;
  }
}

/**
 * Runs the demo. Throws PrivilegeError (one line: what is missing) before anything is
 * created when this machine cannot record, UsageError for a bad option; after that it
 * always resolves with the bundle, even when interrupted (`interrupted`) or when a step
 * of the session failed (`sessionError`).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const say = options.onProgress ?? (() => {});
  const reason = cannotRecordReason();
  if (reason) throw new PrivilegeError(`demo: ${reason}`);
  const bundleDir = resolve(options.outDir);
  // Checked before anything is created (the recorder checks again).
  if (existsSync(bundleDir) && readdirSync(bundleDir).length) throw new UsageError(`demo: output directory ${bundleDir} is not empty`);
  const cleanup = new CleanupStack();
  const tracker = new ProcessTracker();
  try {
    const ncat = prepareNcat(options.realNcat === true);
    cleanup.push('ncat link', () => ncat.dispose());
    const lab = DemoLab.create();
    cleanup.push('namespaces', () => {
      if (options.keep) {
        tracker.killAll();
        say(`kept namespaces ${lab.server.netns} and ${lab.client.netns} (remove with: ip netns del ${lab.server.netns}; ip netns del ${lab.client.netns})`);
        return [];
      }
      const problems = lab.destroy();
      if (!problems.length) say(`removed namespaces ${lab.server.netns} and ${lab.client.netns}`);
      return problems;
    });
    cleanup.push('processes', () => tracker.killAll());
    say(`server host: namespace ${lab.server.netns}, ${lab.server.device} ${lab.server.address}/24`);
    say(`client host: namespace ${lab.client.netns}, ${lab.client.device} ${lab.client.address}/24 (veth pair to the server host)`);

    let session: SeedSessionResult | null = null;
    let sessionError: string | null = null;
    say(`recording kernel events and packets on both hosts into ${bundleDir}`);
    const recording = await record({
      outDir: bundleDir,
      netns: [lab.server.netns, lab.client.netns],
      // Only the two hosts' traffic: the machine's own would be noise here.
      captureHost: false,
      signal: options.signal,
      traceName: 'tracewire-demo',
      workload: async () => {
        try {
          session = await runSeedSession({ lab, ncat: ncat.argv, ncatEnv: ncat.env, signal: options.signal, onStep: say, tracker });
        } catch (err) {
          sessionError = err instanceof TracewireError ? err.message : `demo: ${(err as Error).message}`;
        }
      },
    });
    tracker.killAll();
    const interrupted = options.signal?.aborted === true;
    say(`recorded: ${recording.summary}`);
    if (recording.bundle.capture.error) say(`capture: ${recording.bundle.capture.error}`);
    if (recording.bundle.error) say(`recorder: ${recording.bundle.error}`);

    const done = session as SeedSessionResult | null;
    const demoJson: DemoJson = {
      version: 1,
      ncat: ncat.flavour,
      server: { netns: lab.server.netns, device: lab.server.device, address: lab.server.address, port: done?.port ?? 5000, pid: done?.serverPid ?? null, exit_code: done?.serverExit ?? null },
      client: { netns: lab.client.netns, device: lab.client.device, address: lab.client.address, pid: done?.clientPid ?? null, exit_code: done?.clientExit ?? null },
      greeting: done?.greeting ?? null,
      client_line: done?.clientLine ?? null,
      teardown: done?.teardown ?? null,
      completed: done !== null && !interrupted,
      error: sessionError,
    };
    writeFileSync(join(bundleDir, DEMO_FILE), `${JSON.stringify(demoJson, null, 2)}\n`);

    // Nothing of the run is needed any more: remove it before the (long) analysis.
    const problems = cleanup.runAll();
    for (const p of problems) say(`cleanup: ${p}`);

    let story: Story | null = null;
    let storyError: string | null = null;
    if (!interrupted && done) {
      say('analysing: kernel events ↔ packets, file descriptors, wakeups');
      try {
        story = buildStory(buildDataset([bundleDir]), { pid: done.serverPid });
      } catch (err) {
        storyError = err instanceof TracewireError ? err.message : `internal error: ${(err as Error).message}`;
      }
    }
    return { bundleDir, recording, session: done, story, storyError, netns: { server: lab.server.netns, client: lab.client.netns }, interrupted, sessionError };
  } catch (err) {
    const problems = cleanup.runAll();
    for (const p of problems) say(`cleanup: ${p}`);
    throw err;
  }
}

/**
 * The story of a demo bundle (recorded by runDemo, e.g. the committed sample): the server
 * process named in its demo.json, or the most interesting connection when that is absent.
 */
export function storyOfBundle(bundleDir: string, serverPid: number | null): Story {
  return buildStory(buildDataset([bundleDir]), serverPid !== null ? { pid: serverPid } : {});
}

/** Renders a story as text (the CLI's stdout). */
export function storyText(story: Story): string {
  return renderStory(story, 'text');
}
