/**
 * Can this machine run the demo? Recording needs root (tracefs instances and network
 * namespaces are root-only), a mounted tracefs, network namespaces and iproute2. The
 * answer is one line saying what is missing, or null when everything is there — the
 * demo then fails with that line, and `npm start` shows the sample bundle instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findTracefs } from '../ftrace/tracefs.js';

/** True when `cmd` is on PATH. */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore', timeout: 5000 }).status === 0;
}

/**
 * The reason this machine cannot record the demo, or null. Checks, in order: Linux,
 * root, tracefs, network namespace support in the kernel, `ip` and `ss` (iproute2).
 * Cheap and side-effect free; namespace creation itself can still fail (e.g. in a
 * container without CAP_SYS_ADMIN), which DemoLab.create reports as a PrivilegeError.
 */
export function cannotRecordReason(): string | null {
  if (process.platform !== 'linux') return `recording needs Linux (this is ${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: recording kernel events and creating network namespaces need root (sudo npm start)';
  if (!findTracefs()) return 'tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)';
  if (!existsSync('/proc/self/ns/net')) return 'this kernel has no network namespaces (CONFIG_NET_NS)';
  if (!hasCommand('ip')) return "iproute2's ip is not installed (apt-get install iproute2)";
  if (!hasCommand('ss')) return "iproute2's ss is not installed (apt-get install iproute2)";
  return null;
}
