/**
 * The state dump: what existed when recording started, read from /proc, so events about
 * file descriptors and sockets opened earlier can be resolved. Like LTTng's statedump it
 * covers every process and thread (ids, name, parent, state, namespaces), every open fd
 * (path, `socket:[inode]` for sockets, flags), network interfaces and addresses,
 * interrupts, block devices and CPUs — and, beyond LTTng, the socket tables of
 * /proc/net/{tcp,tcp6,udp,udp6,unix} of every network namespace (inode ↔ addresses ↔
 * state), so an fd's `socket:[inode]` leads to its connection.
 *
 * Each item carries the monotonic time it was read, which becomes its event timestamp.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monotonicNow } from './clock.js';

export interface DumpedThread {
  readonly ts: bigint;
  readonly tid: number;
  readonly pid: number;
  readonly ppid: number;
  readonly comm: string;
  /** State letter from /proc/…/stat (R, S, D, Z, X, T, t, I, …). */
  readonly state: string;
  readonly kernelThread: boolean;
  readonly cpu: number;
  /** Namespace inodes by kind (cgroup, ipc, mnt, net, pid, user, uts, time). */
  readonly ns: Readonly<Record<string, number>>;
  /** Ids in each nested pid namespace, outermost first (NSpid / NStgid). */
  readonly nsTids: readonly number[];
  readonly nsPids: readonly number[];
  readonly uid: number;
  readonly gid: number;
}

export interface DumpedFd {
  readonly ts: bigint;
  readonly pid: number;
  readonly fd: number;
  /** The link target: a path, `socket:[inode]`, `pipe:[inode]`, `anon_inode:[…]`. */
  readonly path: string;
  /** Open flags as the kernel reports them (octal in fdinfo). */
  readonly flags: number;
}

export interface DumpedAddress {
  readonly family: 'inet' | 'inet6';
  readonly address: string;
  readonly prefixLength: number;
}

export interface DumpedInterface {
  readonly ifindex: number;
  readonly name: string;
  readonly addresses: DumpedAddress[];
}

export interface DumpedInetSocket {
  readonly protocol: 'tcp' | 'udp';
  readonly family: 4 | 6;
  /** Address bytes (4 or 16) in network order. */
  readonly localAddress: Uint8Array;
  readonly localPort: number;
  readonly remoteAddress: Uint8Array;
  readonly remotePort: number;
  /** Kernel state number (TCP_ESTABLISHED = 1 … TCP_NEW_SYN_RECV = 12; UDP uses 7/1). */
  readonly state: number;
  readonly txQueue: number;
  readonly rxQueue: number;
  readonly uid: number;
  readonly inode: number;
  /** Kernel socket address when /proc shows it unhashed, else 0n. */
  readonly sk: bigint;
  /** The socket cookie (as in tcp_probe / tcp_destroy_sock events' `sock_cookie`), 0n if unknown. */
  readonly cookie: bigint;
}

export interface DumpedUnixSocket {
  readonly inode: number;
  readonly type: number;
  readonly state: number;
  readonly path: string;
}

export interface DumpedNetns {
  readonly ts: bigint;
  readonly inum: number;
  /** Name under /run/netns, `host` for ours, or '' for an unnamed one. */
  readonly name: string;
  readonly interfaces: DumpedInterface[];
  readonly inetSockets: DumpedInetSocket[];
  readonly unixSockets: DumpedUnixSocket[];
  /** Why the namespace could not be read, if it could not. */
  readonly error?: string;
}

export interface DumpedInterrupt {
  readonly irq: number;
  readonly chip: string;
  readonly action: string;
}

export interface DumpedCpu {
  readonly cpu: number;
  readonly vendor: string;
  readonly family: number;
  readonly model: number;
  readonly modelName: string;
  readonly physicalId: number;
  readonly coreId: number;
  readonly cores: number;
}

export interface StateDump {
  readonly start: bigint;
  readonly end: bigint;
  readonly threads: DumpedThread[];
  readonly fds: DumpedFd[];
  readonly netns: DumpedNetns[];
  readonly interrupts: DumpedInterrupt[];
  readonly blockDevices: { readonly dev: number; readonly name: string }[];
  readonly cpus: DumpedCpu[];
  /** Our own (the recorder's) pid namespace inode: the default for unknown tasks. */
  readonly hostPidNs: number;
  readonly hostNetNs: number;
}

const NS_KINDS = ['cgroup', 'ipc', 'mnt', 'net', 'pid', 'user', 'uts', 'time'] as const;

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Inode of a namespace link (`net:[4026531833]`), or 0. */
export function nsInode(link: string): number {
  try {
    const m = /\[(\d+)\]/.exec(readlinkSync(link));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function readThread(pid: number, tid: number): DumpedThread | undefined {
  const base = `/proc/${pid}/task/${tid}`;
  const ts = monotonicNow();
  const stat = tryRead(`${base}/stat`);
  const status = tryRead(`${base}/status`);
  if (!stat || !status) return undefined;
  const close = stat.lastIndexOf(')');
  const comm = stat.slice(stat.indexOf('(') + 1, close);
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); field N is rest[N - 3].
  const state = rest[0] ?? '?';
  const ppid = Number(rest[1]);
  const flags = Number(rest[6]);
  const cpu = Number(rest[36]);
  const line = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
  const ids = (k: string) => line(k).split(/\s+/).filter(Boolean).map(Number);
  const ns: Record<string, number> = {};
  for (const kind of NS_KINDS) ns[kind] = nsInode(`${base}/ns/${kind}`);
  return {
    ts,
    tid,
    pid: Number(line('Tgid')) || pid,
    ppid: Number.isFinite(ppid) ? ppid : 0,
    comm,
    state,
    // PF_KTHREAD
    kernelThread: (flags & 0x00200000) !== 0,
    cpu: Number.isFinite(cpu) ? cpu : 0,
    ns,
    nsTids: ids('NSpid'),
    nsPids: ids('NStgid'),
    uid: ids('Uid')[0] ?? 0,
    gid: ids('Gid')[0] ?? 0,
  };
}

const O_CLOEXEC = 0o2000000;

/**
 * Appends the open fds of `pid`. With `inheritableOnly`: only the standard streams and
 * fds not marked close-on-exec — what a child of that process can inherit.
 */
function readFds(pid: number, out: DumpedFd[], inheritableOnly = false): void {
  const dir = `/proc/${pid}/fd`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const fd = Number(name);
    let path: string;
    try {
      path = readlinkSync(`${dir}/${name}`);
    } catch {
      continue;
    }
    const info = tryRead(`/proc/${pid}/fdinfo/${name}`);
    const flags = info ? parseInt(/^flags:\s*([0-7]+)/m.exec(info)?.[1] ?? '0', 8) : 0;
    if (inheritableOnly && fd > 2 && (flags & O_CLOEXEC) !== 0) continue;
    out.push({ ts: monotonicNow(), pid, fd, path, flags });
  }
}

/** `0100007F:0277` → 4 bytes in network order and the port. /proc prints each 32-bit word in host order. */
function parseProcAddress(text: string): { address: Uint8Array; port: number } {
  const [hex, portHex] = text.split(':') as [string, string];
  const words = hex.length / 8;
  const address = new Uint8Array(words * 4);
  for (let w = 0; w < words; w++) {
    const word = parseInt(hex.slice(w * 8, w * 8 + 8), 16);
    // Little-endian host: the word's least significant byte is the first address byte.
    address[w * 4] = word & 0xff;
    address[w * 4 + 1] = (word >>> 8) & 0xff;
    address[w * 4 + 2] = (word >>> 16) & 0xff;
    address[w * 4 + 3] = (word >>> 24) & 0xff;
  }
  return { address, port: parseInt(portHex, 16) };
}

/** Parses /proc/net/{tcp,tcp6,udp,udp6}. */
export function parseInetTable(text: string, protocol: 'tcp' | 'udp', family: 4 | 6): DumpedInetSocket[] {
  const out: DumpedInetSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const local = parseProcAddress(f[1]!);
    const remote = parseProcAddress(f[2]!);
    const [tx, rx] = f[4]!.split(':');
    const pointer = f[11] ? BigInt(`0x${f[11]}`) : 0n;
    out.push({
      protocol,
      family,
      localAddress: local.address,
      localPort: local.port,
      remoteAddress: remote.address,
      remotePort: remote.port,
      state: parseInt(f[3]!, 16),
      txQueue: parseInt(tx ?? '0', 16),
      rxQueue: parseInt(rx ?? '0', 16),
      uid: Number(f[7]),
      inode: Number(f[9]),
      // %pK prints a hashed value unless kptr_restrict lets root see the real address.
      sk: pointer >= 0xffff_8000_0000_0000n ? pointer : 0n,
      cookie: 0n,
    });
  }
  return out;
}

/** Parses /proc/net/unix. */
export function parseUnixTable(text: string): DumpedUnixSocket[] {
  const out: DumpedUnixSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    out.push({ type: parseInt(f[4]!, 16), state: parseInt(f[5]!, 16), inode: Number(f[6]), path: f.slice(7).join(' ') });
  }
  return out;
}

/** Socket inode → cookie, from `ss -Htuane` (`ino:1060 sk:9d83d`). */
export function parseSsCookies(text: string): Map<number, bigint> {
  const out = new Map<number, bigint>();
  for (const line of text.split('\n')) {
    const ino = /\bino:(\d+)/.exec(line);
    const sk = /\bsk:([0-9a-f]+)/.exec(line);
    if (ino && sk && ino[1] !== '0') out.set(Number(ino[1]), BigInt(`0x${sk[1]}`));
  }
  return out;
}

interface IpAddrJson {
  ifindex: number;
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

/** Parses `ip -j addr show` output. */
export function parseIpAddr(json: string): DumpedInterface[] {
  let list: IpAddrJson[];
  try {
    list = JSON.parse(json) as IpAddrJson[];
  } catch {
    return [];
  }
  return list.map((i) => ({
    ifindex: i.ifindex,
    name: i.ifname,
    addresses: (i.addr_info ?? [])
      .filter((a) => a.family === 'inet' || a.family === 'inet6')
      .map((a) => ({ family: a.family as 'inet' | 'inet6', address: a.local, prefixLength: a.prefixlen })),
  }));
}

const SEP = '@@tracewire@@';

/**
 * Reads interfaces and socket tables of the network namespace at `nsPath`
 * (`/proc/PID/ns/net` or `/run/netns/NAME`), entering it with nsenter so /proc/net and
 * `ip` see that namespace; `nsPath` undefined reads our own.
 */
async function readNetns(nsPath: string | undefined, inum: number, name: string): Promise<DumpedNetns> {
  const ts = monotonicNow();
  const script = `cat /proc/net/tcp; echo ${SEP}; cat /proc/net/tcp6; echo ${SEP}; cat /proc/net/udp; echo ${SEP}; cat /proc/net/udp6; echo ${SEP}; cat /proc/net/unix; echo ${SEP}; ip -j addr show; echo ${SEP}; ss -Htuane 2>/dev/null || true`;
  const [cmd, args] = nsPath ? ['nsenter', [`--net=${nsPath}`, 'sh', '-c', script]] as const : ['sh', ['-c', script]] as const;
  const result = await new Promise<{ text: string } | { error: string }>((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 10_000, maxBuffer: 256 << 20 }, (err, stdout) => {
      resolve(err ? { error: err.message.split('\n')[0]! } : { text: stdout });
    });
  });
  if ('error' in result) return { ts, inum, name, interfaces: [], inetSockets: [], unixSockets: [], error: `cannot read network namespace: ${result.error}` };
  const text = result.text;
  const parts = text.split(`${SEP}\n`);
  const cookies = parseSsCookies(parts[6] ?? '');
  return {
    ts,
    inum,
    name,
    inetSockets: [
      ...parseInetTable(parts[0] ?? '', 'tcp', 4),
      ...parseInetTable(parts[1] ?? '', 'tcp', 6),
      ...parseInetTable(parts[2] ?? '', 'udp', 4),
      ...parseInetTable(parts[3] ?? '', 'udp', 6),
    ].map((sock) => (sock.inode && cookies.has(sock.inode) ? { ...sock, cookie: cookies.get(sock.inode)! } : sock)),
    unixSockets: parseUnixTable(parts[4] ?? ''),
    interfaces: parseIpAddr(parts[5] ?? '[]'),
  };
}

/** Named network namespaces: inode → name (from /run/netns). */
export function namedNetns(): Map<number, string> {
  const out = new Map<number, string>();
  const dir = '/run/netns';
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    try {
      out.set(statSync(join(dir, name)).ino, name);
    } catch {
      // vanished
    }
  }
  return out;
}

function readInterrupts(): DumpedInterrupt[] {
  const text = tryRead('/proc/interrupts') ?? '';
  const lines = text.split('\n');
  const ncpu = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean).length;
  const out: DumpedInterrupt[] = [];
  for (const line of lines.slice(1)) {
    const m = /^\s*(\d+):\s+(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).slice(ncpu);
    // After the counts: chip name, hardware irq/trigger, then the action names.
    out.push({ irq: Number(m[1]), chip: f[0] ?? '', action: f.slice(2).join(' ') });
  }
  return out;
}

function readBlockDevices(): { dev: number; name: string }[] {
  const text = tryRead('/proc/partitions') ?? '';
  const out: { dev: number; name: string }[] = [];
  for (const line of text.split('\n').slice(2)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    // The kernel's internal dev_t: major << 20 | minor.
    out.push({ dev: Number(f[0]) * 1048576 + Number(f[1]), name: f[3]! });
  }
  return out;
}

function readCpus(): DumpedCpu[] {
  const text = tryRead('/proc/cpuinfo') ?? '';
  return text
    .split(/\n\n+/)
    .filter((b) => /^processor\s*:/m.test(b))
    .map((b) => {
      const v = (k: string) => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(b)?.[1] ?? '';
      return {
        cpu: Number(v('processor')),
        vendor: v('vendor_id') || 'unknown',
        family: Number(v('cpu family')) || 0,
        model: Number(v('model')) || 0,
        modelName: v('model name') || 'unknown',
        physicalId: Number(v('physical id')) || 0,
        coreId: Number(v('core id')) || 0,
        cores: Number(v('cpu cores')) || 0,
      };
    });
}

export interface StateDumpOptions {
  /** Network namespaces to include by name (under /run/netns), besides ours and those processes use. */
  readonly netns?: readonly string[];
  /**
   * The recorder's own process: only the fds its children can inherit are listed — its
   * standard streams (Node marks them close-on-exec, and the child clears the flag for
   * the streams it passes on) and fds not marked close-on-exec. Its system calls are not
   * traced, so its table changes unseen after the dump; listed, a number the recorder
   * later closed and reused (the pipes of a child's stdio, which the child dup2()s onto
   * 0–2 between fork and exec) would resolve to the stale file.
   */
  readonly recorderPid?: number;
}

/**
 * Reads the whole state dump. Network namespaces are read concurrently (one nsenter
 * each). Never rejects for a process or namespace that vanished.
 */
export async function collectStateDump(opts: StateDumpOptions = {}): Promise<StateDump> {
  const start = monotonicNow();
  const hostNetNs = nsInode('/proc/self/ns/net');
  const hostPidNs = nsInode('/proc/self/ns/pid');
  const named = namedNetns();
  const seen = new Set([hostNetNs]);
  const reads: Promise<DumpedNetns>[] = [readNetns(undefined, hostNetNs, 'host')];
  for (const name of opts.netns ?? []) {
    const path = join('/run/netns', name);
    const inum = existsSync(path) ? statSync(path).ino : 0;
    if (!inum || seen.has(inum)) continue;
    seen.add(inum);
    reads.push(readNetns(path, inum, name));
  }
  const threads: DumpedThread[] = [];
  const fds: DumpedFd[] = [];
  const pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    let tids: number[];
    try {
      tids = readdirSync(`/proc/${pid}/task`).map(Number).sort((a, b) => a - b);
    } catch {
      continue;
    }
    let leader: DumpedThread | undefined;
    for (const tid of tids) {
      const t = readThread(pid, tid);
      if (t) {
        threads.push(t);
        if (tid === pid) leader = t;
      }
    }
    if (leader && !leader.kernelThread) {
      readFds(pid, fds, pid === opts.recorderPid);
      // Every other namespace a process lives in is dumped too, entered through that process.
      const net = leader.ns.net;
      if (net && !seen.has(net)) {
        seen.add(net);
        reads.push(readNetns(`/proc/${pid}/ns/net`, net, named.get(net) ?? ''));
      }
    }
  }
  const netns = await Promise.all(reads);
  return {
    start,
    end: monotonicNow(),
    threads,
    fds,
    netns,
    interrupts: readInterrupts(),
    blockDevices: readBlockDevices(),
    cpus: readCpus(),
    hostPidNs,
    hostNetNs,
  };
}

const BIGINT_KEYS = new Set(['ts', 'start', 'end', 'sk', 'cookie']);
const BYTES_KEYS = new Set(['localAddress', 'remoteAddress']);

/** The state dump as JSON (bigints as strings, address bytes as arrays), for the spool. */
export function serializeStateDump(d: StateDump): string {
  return JSON.stringify(d, (k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Uint8Array) return Array.from(v);
    return v;
  });
}

/** Reads a state dump written by serializeStateDump. */
export function parseStateDump(text: string): StateDump {
  return JSON.parse(text, (k, v: unknown) => {
    if (BIGINT_KEYS.has(k) && typeof v === 'string') return BigInt(v);
    if (BYTES_KEYS.has(k) && Array.isArray(v)) return Uint8Array.from(v as number[]);
    return v;
  }) as StateDump;
}
