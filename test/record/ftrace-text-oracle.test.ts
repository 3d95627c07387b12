/**
 * The raw ring-buffer decoder against the kernel's own rendering of the same events.
 *
 * A private tracefs instance records a short loopback TCP exchange (ncat) plus process
 * creation and file opens, with the `fields` option on, so the instance's text `trace`
 * file prints every field of every event as the kernel sees it (name=value, in format
 * order). That text is read first (it does not consume), then the same events are read
 * as binary pages from per_cpu/cpuN/trace_pipe_raw and decoded by tracewire. Every
 * event must match: CPU, timestamp (to the microsecond the text shows), pid, event name,
 * preempt depth, and each field's value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { needsCommands, needsRootTracefs, tracefsDir } from '../support/env.js';
import { TracefsInstance, readPageLayout } from '../../src/ftrace/tracefs.js';
import { parseEventFormat, type EventFormat, type FormatField } from '../../src/ftrace/format.js';
import { decodePage } from '../../src/ftrace/ring-buffer.js';
import { decodeRecord } from '../../src/ftrace/event-decoder.js';
import type { FieldValue } from '../../src/model/trace-event.js';

const EVENTS = [
  'sched:sched_switch', 'sched:sched_waking', 'sched:sched_wakeup_new', 'sched:sched_process_fork', 'sched:sched_process_exec',
  'sched:sched_process_exit', 'sched:sched_process_free', 'sched:sched_migrate_task', 'task:task_newtask',
  'syscalls:sys_enter_openat', 'syscalls:sys_exit_openat', 'syscalls:sys_enter_connect', 'syscalls:sys_exit_connect',
  'syscalls:sys_enter_accept4', 'syscalls:sys_exit_accept4', 'syscalls:sys_enter_write', 'syscalls:sys_exit_write',
  'syscalls:sys_enter_close', 'syscalls:sys_exit_close', 'irq:softirq_raise', 'irq:softirq_entry', 'irq:softirq_exit',
  'net:net_dev_queue', 'net:net_dev_xmit', 'net:netif_receive_skb', 'net:netif_rx', 'skb:consume_skb', 'skb:kfree_skb',
  'skb:skb_copy_datagram_iovec', 'sock:inet_sock_set_state', 'sock:sock_send_length', 'sock:sock_recv_length',
  'tcp:tcp_probe', 'tcp:tcp_destroy_sock', 'tcp:tcp_rcv_space_adjust',
];

interface TextEvent {
  cpu: number;
  pid: number;
  usec: string;
  latency: string;
  name: string;
  body: string;
}

const LINE = /^\s*(.*)-(\d+)\s+\[(\d+)\]\s+(\S{4,6})\s+(\d+\.\d{6}):\s+(\w+):(.*)$/;

function parseText(text: string): { events: TextEvent[]; lost: number } {
  const events: TextEvent[] = [];
  let lost = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    const lostMatch = /\[LOST (\d+) EVENTS\]/.exec(line);
    if (lostMatch) {
      lost += Number(lostMatch[1]);
      continue;
    }
    const m = LINE.exec(line);
    if (!m) continue;
    events.push({ cpu: Number(m[3]), pid: Number(m[2]), latency: m[4]!, usec: m[5]!, name: m[6]!, body: m[7]! });
  }
  return { events, lost };
}

/** Splits ` a=1 b=x y c=3` into values by the known field names, in order. */
function splitFields(body: string, names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  let rest = body;
  for (let i = 0; i < names.length; i++) {
    const key = ` ${names[i]}=`;
    const at = rest.indexOf(key);
    if (at < 0) break;
    rest = rest.slice(at + key.length);
    const nextKey = i + 1 < names.length ? ` ${names[i + 1]}=` : undefined;
    const end = nextKey ? rest.indexOf(nextKey) : -1;
    out.set(names[i]!, end < 0 ? rest : rest.slice(0, end));
    if (end >= 0) rest = rest.slice(end);
  }
  return out;
}

function bytesOfArray(v: FieldValue, elementSize: number): bigint {
  // Little-endian integer of the array's bytes, as the kernel prints 1/2/4/8-byte fields.
  const arr = v as number[];
  let x = 0n;
  for (let i = arr.length - 1; i >= 0; i--) x = (x << BigInt(elementSize * 8)) | BigInt.asUintN(elementSize * 8, BigInt(arr[i]!));
  return x;
}

/** The value the kernel's `fields` output shows for our decoded value, or undefined to skip. */
function expectedText(f: FormatField, v: FieldValue): string | undefined {
  const l = f.layout;
  if (f.type.includes('char *')) return undefined; // printed as the address of the slot, not the value
  if (l.kind === 'text' || (l.kind === 'dynamic' && l.text)) return String(v);
  let unsigned: bigint;
  let size: number;
  if (l.kind === 'int') {
    size = l.size;
    unsigned = BigInt.asUintN(size * 8, BigInt(v as number | bigint));
  } else if (l.kind === 'array' && [1, 2, 4, 8].includes(f.size)) {
    size = f.size;
    unsigned = bytesOfArray(v, l.elementSize);
  } else {
    return undefined;
  }
  if (size === 1) return `(${unsigned})`;
  const signedView = size === 8 ? BigInt.asIntN(64, unsigned) : BigInt.asIntN(32, unsigned);
  return `0x${unsigned.toString(16)} (${signedView})`;
}

function readAllPages(path: string, pageSize: number): Uint8Array[] {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const pages: Uint8Array[] = [];
  try {
    while (true) {
      const buf = Buffer.alloc(pageSize);
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') break;
        throw err;
      }
      if (n <= 0) break;
      pages.push(buf.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return pages;
}

test('raw ring-buffer pages decode to exactly what the kernel prints for the same events', { skip: needsRootTracefs() ?? needsCommands('ncat'), timeout: 120_000 }, () => {
  const root = tracefsDir!;
  const inst = TracefsInstance.create(root, `tracewire-${process.pid}-oracle`);
  try {
    inst.setTracing(false);
    inst.write('trace_clock', 'mono');
    inst.write('buffer_size_kb', '8192');
    inst.write('options/fields', '1');
    const formats = new Map<number, EventFormat>();
    for (const e of EVENTS) {
      const [system, name] = e.split(':') as [string, string];
      try {
        inst.setEvent(system, name, true);
      } catch {
        continue; // not in this kernel
      }
      const file = join(inst.path, 'events', system, name, 'format');
      const f = parseEventFormat(inst.read(join('events', system, name, 'format')), file, system);
      formats.set(f.id, f);
    }
    inst.setTracing(true);
    const port = 20000 + (process.pid % 20000);
    const r = spawnSync('sh', ['-c', `ncat -l 127.0.0.1 ${port} > /dev/null & sleep 0.3; printf 'hello kernel\\n' | ncat 127.0.0.1 ${port}; wait; cat /etc/hostname > /dev/null`], { timeout: 20_000 });
    inst.setTracing(false);
    assert.equal(r.status, 0, `workload failed: ${r.stderr}`);

    const text = parseText(inst.read('trace'));
    assert.equal(text.lost, 0, 'the kernel lost events; the comparison needs them all');
    const { layout } = readPageLayout(root);
    const decoded: TextEvent[] = [];
    const values: { format: EventFormat; fields: Record<string, FieldValue>; flags: number; preempt: number }[] = [];
    for (const cpu of inst.cpus()) {
      for (const page of readAllPages(join(inst.path, 'per_cpu', `cpu${cpu}`, 'trace_pipe_raw'), layout.dataOffset + layout.dataSize)) {
        decodePage(page, layout, (ts, at, len) => {
          const d = decodeRecord(page, at, len, formats);
          assert.ok(d, `record of unknown type at cpu${cpu}`);
          // The kernel shows microseconds rounded to nearest (ns2usecs adds 500 ns).
          const us = (ts + 500n) / 1000n;
          decoded.push({ cpu, pid: d.common.pid, usec: `${us / 1_000_000n}.${(us % 1_000_000n).toString().padStart(6, '0')}`, latency: '', name: d.format.name, body: '' });
          values.push({ format: d.format, fields: d.fields as Record<string, FieldValue>, flags: d.common.flags, preempt: d.common.preemptCount });
        });
      }
    }
    assert.ok(text.events.length > 200, `too few events recorded (${text.events.length})`);
    const names = new Set(text.events.map((e) => e.name));
    for (const must of ['sched_switch', 'sys_enter_connect', 'net_dev_xmit', 'netif_receive_skb', 'inet_sock_set_state', 'sched_process_fork']) {
      assert.ok(names.has(must), `no ${must} in the kernel's text`);
    }
    // Compare per CPU, in order (the text interleaves CPUs by time).
    for (const cpu of new Set(text.events.map((e) => e.cpu))) {
      const want = text.events.filter((e) => e.cpu === cpu);
      const gotIdx = decoded.map((e, i) => (e.cpu === cpu ? i : -1)).filter((i) => i >= 0);
      assert.equal(gotIdx.length, want.length, `cpu${cpu}: ${gotIdx.length} decoded vs ${want.length} in text`);
      want.forEach((w, k) => {
        const i = gotIdx[k]!;
        const g = decoded[i]!;
        const where = `cpu${cpu} event ${k} (${w.name} at ${w.usec})`;
        assert.equal(g.name, w.name, `${where}: name`);
        assert.equal(g.usec, w.usec, `${where}: timestamp`);
        assert.equal(g.pid, w.pid, `${where}: pid`);
        const depth = values[i]!.preempt & 0xf;
        assert.equal(w.latency[3], depth ? depth.toString(16) : '.', `${where}: preempt depth`);
        const f = values[i]!.format;
        const shown = splitFields(w.body, f.fields.map((x) => x.name));
        for (const field of f.fields) {
          const expected = expectedText(field, values[i]!.fields[field.name]!);
          if (expected === undefined) continue;
          const actual = shown.get(field.name);
          if (field.layout.kind === 'int' && field.size === 1) assert.ok(actual?.endsWith(expected), `${where}: ${field.name} = ${actual}, decoded ${expected}`);
          else if (actual !== undefined && /^\S+\+0x[0-9a-f]+\/0x[0-9a-f]+ \(/.test(actual)) {
            // Kernel text addresses are printed as symbol+offset; the decimal value remains.
            assert.equal(actual.slice(actual.indexOf(' (')), expected.slice(expected.indexOf(' (')), `${where}: ${field.name}`);
          } else assert.equal(actual, expected, `${where}: ${field.name}`);
        }
      });
    }
  } finally {
    inst.remove();
  }
});
