/**
 * `tracewire COMMAND ...` — the dispatcher. Every command lives in its own module and is
 * imported only when used (bin/tracewire.js starts `events` from its bundle without
 * this dispatcher when the bundle is built, see fast-start.cts). Errors become one line on stderr; a stack trace only with
 * TRACEWIRE_DEBUG=1.
 */
import type { CommandModule } from './command.js';
import { endQuietlyOnEpipe, runCommandModule } from './run-command.js';

interface CommandEntry {
  summary: string;
}

/** Loads src/cli/<name>.ts (compiled). The specifier is computed so a command can be
 *  added by creating its module and one line below. */
async function loadCommand(name: string): Promise<CommandModule> {
  return (await import(`./${name}.js`)) as CommandModule;
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
  return runCommandModule(mod, rest);
}

endQuietlyOnEpipe();
