/**
 * `tracewire COMMAND ...` — the dispatcher. Every command lives in its own module and is
 * imported only when used. Errors become one line on stderr; a stack trace only with
 * TRACEWIRE_DEBUG=1.
 */
import { createRequire } from 'node:module';
import { describeError, TracewireError } from '../base/errors.js';
import type { CommandModule } from './command.js';

interface CommandEntry {
  summary: string;
}

/** Loads src/cli/<name>.ts (compiled). The specifier is computed so a command can be
 *  added by creating its module and one line below. A command that scripts/build.mjs
 *  bundled (`<name>.bundle.cjs`, newer than `<name>.js`) is loaded from its bundle. */
async function loadCommand(name: string): Promise<CommandModule> {
  const bundle = await bundledCommand(name);
  return bundle ?? ((await import(`./${name}.js`)) as CommandModule);
}

/**
 * Loads dist/cli/<name>.bundle.cjs through a V8 code cache, or returns null when there is
 * no current bundle. Start-up matters for commands run on small inputs (`tracewire events`
 * reads a small trace faster than Node.js compiles its reader): the bundle spares loading
 * dozens of modules, the code cache spares compiling it. The cache entry, keyed by a
 * SHA-1 of the bundle (V8 itself only checks the source length) and checked against a
 * SHA-1 of its content, is written after the first run, with every function that run
 * compiled; it lives with tracewire's other caches ($TRACEWIRE_CACHE_DIR, else
 * $XDG_CACHE_HOME/tracewire or ~/.cache/tracewire; TRACEWIRE_NO_CACHE=1: none). Any
 * cache problem only means compiling as usual.
 */
async function bundledCommand(name: string): Promise<CommandModule | null> {
  const nodeRequire = createRequire(import.meta.url);
  const { closeSync, existsSync, fstatSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } = nodeRequire('node:fs') as typeof import('node:fs');
  const { fileURLToPath } = nodeRequire('node:url') as typeof import('node:url');
  const file = fileURLToPath(new URL(`./${name}.bundle.cjs`, import.meta.url));
  const esm = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  // a plain `tsc` after the last build leaves a stale bundle: use the fresher tsc output then
  if (!existsSync(file) || (existsSync(esm) && statSync(esm).mtimeMs > statSync(file).mtimeMs)) return null;
  const { Script } = nodeRequire('node:vm') as typeof import('node:vm');
  const { createHash } = nodeRequire('node:crypto') as typeof import('node:crypto');
  const { homedir } = nodeRequire('node:os') as typeof import('node:os');
  const { join, dirname } = nodeRequire('node:path') as typeof import('node:path');
  const source = readFileSync(file, 'utf8');
  const env = process.env;
  const home = env.HOME || homedir();
  const cacheBase = env.TRACEWIRE_NO_CACHE && env.TRACEWIRE_NO_CACHE !== '0' ? null : env.TRACEWIRE_CACHE_DIR || (env.XDG_CACHE_HOME ? join(env.XDG_CACHE_HOME, 'tracewire') : home ? join(home, '.cache', 'tracewire') : null);
  const key = createHash('sha1').update(source).update(`\0${process.version}\0${process.versions.v8}\0${process.arch}`).digest('hex');
  const cacheFile = cacheBase ? join(cacheBase, 'code', `${name}-${key}.bin`) : null;
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    let fd = -1;
    try {
      fd = openSync(cacheFile, 'r');
      // compiled code is only taken from a file this user owns and nobody else may write
      const st = fstatSync(fd);
      const uid = process.getuid?.();
      if (st.isFile() && (uid === undefined || st.uid === uid) && (st.mode & 0o022) === 0) {
        const entry = readFileSync(fd);
        if (entry.length > 20 && createHash('sha1').update(entry.subarray(20)).digest().equals(entry.subarray(0, 20))) cachedData = entry.subarray(20);
      }
    } catch {
      // no entry yet
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  const mod = { exports: {} as CommandModule };
  const req = createRequire(file);
  const errors = await import('../base/errors.js');
  // the bundle shares base/errors.js with this dispatcher (instanceof TracewireError below)
  const wrapper = script.runInThisContext() as (e: object, r: (id: string) => unknown, m: object, f: string, d: string) => void;
  wrapper(mod.exports, (id) => (id === 'tracewire:base/errors' ? errors : req(id)), mod, file, dirname(file));
  const loaded = mod.exports;
  const saveCache = (): void => {
    if (!cacheFile || (cachedData && !script.cachedDataRejected)) return;
    try {
      const data = script.createCachedData();
      mkdirSync(dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, Buffer.concat([createHash('sha1').update(data).digest(), data]), { mode: 0o644 });
        renameSync(tmp, cacheFile);
      } catch (err) {
        rmSync(tmp, { force: true });
        throw err;
      }
    } catch {
      // read-only or full disk: the next run compiles again
    }
  };
  return {
    help: loaded.help,
    async run(argv: string[]): Promise<number> {
      try {
        return await loaded.run(argv);
      } finally {
        saveCache();
      }
    },
  };
}

const COMMANDS: Record<string, CommandEntry> = {
  demo: { summary: 'run the seed experiment (ncat server + client in two namespaces), record, tell the story' },
  record: { summary: 'record kernel events (ftrace → LTTng-compatible CTF), packets and a state dump into a bundle' },
  events: { summary: 'print the events of CTF traces (LTTng kernel/UST, CTF 1.8 and CTF 2)' },
  packets: { summary: 'print the frames of a pcap/pcapng capture or bundle, like tshark' },
  conversations: { summary: 'TCP and UDP conversations of a capture, like tshark -z conv' },
  follow: { summary: 'reassembled payload of a TCP stream, like Follow TCP Stream' },
  stats: { summary: 'syscall, IRQ and scheduling statistics of a kernel trace, like lttng-analyses' },
  sockets: { summary: 'file descriptors → sockets → addresses and TCP states of a kernel trace' },
  sync: { summary: 'clock synchronisation between traces of different hosts' },
  story: { summary: "a connection's life, step by step, from a bundle or kernel trace" },
  export: { summary: 'write a bundle\'s packets as pcapng annotated with process and fd' },
  ui: { summary: 'open the web UI on bundles, traces and captures (127.0.0.1)' },
  ncat: { summary: 'a netcat compatible with nmap ncat (connect, listen, TCP/UDP, IPv4/IPv6)' },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `tracewire — how the Linux kernel handles a TCP connection, from the wire to the system call\n\nUsage: tracewire COMMAND [ARGS...]\n\nCommands:\n${lines.join('\n')}\n\nRun \`tracewire COMMAND --help\` for a command's options.\n`;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write('tracewire 0.1.0\n');
    return 0;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    process.stderr.write(`tracewire: unknown command '${name}' (see \`tracewire --help\`)\n`);
    return 2;
  }
  let mod: CommandModule;
  try {
    mod = await loadCommand(name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes(`/cli/${name}.js`)) {
      process.stderr.write(`tracewire: command '${name}' is not part of this build yet\n`);
      return 2;
    }
    throw err;
  }
  // help flags count up to `--`: after it they belong to the command run by `record -- CMD`
  const end = rest.indexOf('--');
  const own = end < 0 ? rest : rest.slice(0, end);
  if (own.includes('--help') || own.includes('-h')) {
    // `ncat -h` is ncat's own help; other commands share the convention anyway.
    process.stdout.write(mod.help.endsWith('\n') ? mod.help : `${mod.help}\n`);
    return 0;
  }
  try {
    return await mod.run(rest);
  } catch (err) {
    if (process.env.TRACEWIRE_DEBUG === '1') process.stderr.write(`${(err as Error)?.stack ?? err}\n`);
    process.stderr.write(`tracewire: ${describeError(err)}\n`);
    return err instanceof TracewireError ? err.exitCode : 70;
  }
}

// EPIPE on stdout (e.g. `tracewire events T | head`) is a normal end, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});
