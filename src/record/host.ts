/**
 * Facts about the recording machine that go into the trace's env block and the bundle:
 * host name, kernel release and version string (as `uname -v` prints it), architecture,
 * boot id (the kernel clock's UUID in LTTng traces) and CPU count; plus the default ring
 * buffer size for this machine's memory.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { HostInfo } from './convert.js';

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

export function hostInfo(): HostInfo {
  return {
    hostname: os.hostname(),
    sysname: os.type(),
    kernelRelease: os.release(),
    kernelVersion: os.version(),
    machine: os.machine(),
    bootId: read('/proc/sys/kernel/random/boot_id'),
  };
}

/** Our own task name (`/proc/self/comm`), used as the state dump events' procname. */
export function selfComm(): string {
  return read('/proc/self/comm') || 'tracewire';
}

/**
 * Per-CPU ring buffer size (KiB) when the user gives none: 64 MiB per CPU, enough for
 * several seconds of a busy loopback workload between two reads, capped at 1/8 of the
 * available memory split over the CPUs and never below 4 MiB.
 */
export function defaultBufferSizeKb(cpus: number): number {
  const meminfo = read('/proc/meminfo');
  const availKb = Number(/^MemAvailable:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0) || os.freemem() / 1024;
  const cap = Math.floor(availKb / 8 / Math.max(1, cpus));
  return Math.max(4096, Math.min(65536, cap));
}
