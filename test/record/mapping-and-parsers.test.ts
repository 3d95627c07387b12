/**
 * Unit tests of the ftrace → LTTng vocabulary on the kernel's own format files, and of
 * the /proc and iproute2 parsers behind the state dump.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixturesDir } from '../support/env.js';
import { parseEventFormat } from '../../src/ftrace/format.js';
import { ftraceNameForLttng, lttngEventName, mapEventFormat, describeType } from '../../src/ftrace/lttng-mapping.js';
import { selectEvents } from '../../src/ftrace/event-set.js';
import { execComm } from '../../src/ftrace/task-state.js';
import { ByteWriter } from '../../src/ctf/writer/byte-writer.js';
import { parseInetTable, parseIpAddr, parseSsCookies, parseUnixTable } from '../../src/record/statedump.js';
import { addressBytes } from '../../src/record/statedump-events.js';
import { INTERRUPT_CONTEXT_FILTER, ownContextEvents } from '../../src/record/own-context.js';

const fmt = (file: string, system: string) => parseEventFormat(readFileSync(join(fixturesDir, 'record', 'tracefs', `${file}.format`), 'utf8'), file, system);
const shape = (file: string, system: string) => {
  const m = mapEventFormat(fmt(file, system));
  return { name: m.name, fields: m.fields.map((f) => `${f.name}:${describeType(f.type)}`) };
};

test('LTTng names for ftrace events, and back', () => {
  assert.equal(lttngEventName('syscalls', 'sys_enter_accept4'), 'syscall_entry_accept4');
  assert.equal(lttngEventName('syscalls', 'sys_exit_accept4'), 'syscall_exit_accept4');
  assert.equal(lttngEventName('irq', 'softirq_entry'), 'irq_softirq_entry');
  assert.equal(lttngEventName('net', 'netif_receive_skb'), 'net_if_receive_skb');
  assert.equal(lttngEventName('skb', 'kfree_skb'), 'skb_kfree');
  assert.equal(lttngEventName('skb', 'consume_skb'), 'skb_consume');
  assert.equal(lttngEventName('sock', 'inet_sock_set_state'), 'inet_sock_set_state');
  assert.deepEqual(ftraceNameForLttng('syscall_entry_connect'), { system: 'syscalls', name: 'sys_enter_connect' });
  assert.deepEqual(ftraceNameForLttng('net_if_receive_skb'), { system: 'net', name: 'netif_receive_skb' });
  assert.equal(ftraceNameForLttng('sched_switch'), undefined);
});

test('sched_switch, sched_process_fork, syscalls and net_dev_xmit in LTTng layout', () => {
  assert.deepEqual(shape('sched_sched_switch', 'sched'), {
    name: 'sched_switch',
    fields: ['prev_comm:s8[16]', 'prev_tid:s32', 'prev_prio:s32', 'prev_state:s64', 'next_comm:s8[16]', 'next_tid:s32', 'next_prio:s32'],
  });
  assert.deepEqual(shape('sched_sched_process_fork', 'sched').fields, [
    'parent_comm:s8[16]', 'parent_tid:s32', 'parent_pid:s32', 'parent_ns_inum:u32', 'child_comm:s8[16]', 'child_tid:s32', 'vtids_length:u8', 'vtids:s32[vtids_length]', 'child_pid:s32', 'child_ns_inum:u32',
  ]);
  // Syscall slots narrowed to their C types; pointers stay 64-bit.
  assert.deepEqual(shape('syscalls_sys_enter_openat', 'syscalls'), { name: 'syscall_entry_openat', fields: ['__syscall_nr:s32', 'dfd:s32', 'filename:u64', 'flags:s32', 'mode:u16'] });
  assert.deepEqual(shape('syscalls_sys_exit_openat', 'syscalls'), { name: 'syscall_exit_openat', fields: ['__syscall_nr:s32', 'ret:s64'] });
  assert.deepEqual(shape('net_net_dev_xmit', 'net'), { name: 'net_dev_xmit', fields: ['skbaddr:u64', 'rc:s32', 'len:u32', 'name:string'] });
  assert.deepEqual(shape('skb_kfree_skb', 'skb').fields.slice(0, 3), ['skbaddr:u64', 'location:u64', 'protocol:u16']);
  assert.equal(shape('irq_softirq_entry', 'irq').name, 'irq_softirq_entry');
});

test('field writers: prio - 100, dfd as a 32-bit int, data_loc comm as char[16]', () => {
  const sw = fmt('sched_sched_switch', 'sched');
  const mapped = mapEventFormat(sw);
  const rec = Buffer.alloc(64);
  rec.write('bash', 8);
  rec.writeInt32LE(42, 24);
  rec.writeInt32LE(120, 28);
  rec.writeBigInt64LE(1n, 32);
  rec.write('swapper/1', 40);
  rec.writeInt32LE(0, 56);
  rec.writeInt32LE(139, 60);
  const out = new ByteWriter();
  const view = { bytes: rec, view: new DataView(rec.buffer, rec.byteOffset, rec.byteLength), at: 0, length: 64, source: 'test' };
  for (const w of mapped.writers) w(out, view, { pidOf: (t) => t, pidNsOf: () => 0 });
  const b = Buffer.from(out.bytes());
  assert.equal(b.subarray(0, 16).toString('latin1').replace(/\0+$/, ''), 'bash');
  assert.equal(b.readInt32LE(16), 42);
  assert.equal(b.readInt32LE(20), 20);
  assert.equal(b.readInt32LE(52), 39);
  const open = mapEventFormat(fmt('syscalls_sys_enter_openat', 'syscalls'));
  const r2 = Buffer.alloc(48);
  r2.writeBigUInt64LE(0xffff_ff9cn, 16); // AT_FDCWD as the register holds it
  const o2 = new ByteWriter();
  for (const w of open.writers) w(o2, { bytes: r2, view: new DataView(r2.buffer, r2.byteOffset, 48), at: 0, length: 48, source: 'test' }, { pidOf: (t) => t, pidNsOf: () => 0 });
  assert.equal(Buffer.from(o2.bytes()).readInt32LE(4), -100);
});

test('default event set resolves against the kernel list; --events adds, removes and clears', () => {
  const available = new Map([
    ['sched', new Set(['sched_switch', 'sched_waking'])],
    ['syscalls', new Set(['sys_enter_read', 'sys_exit_read'])],
    ['net', new Set(['netif_receive_skb'])],
    ['timer', new Set(['timer_start'])],
  ]);
  const def = selectEvents(available);
  assert.deepEqual(def.events.map((e) => `${e.system}:${e.name}`), ['syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'sched:sched_switch', 'sched:sched_waking', 'net:netif_receive_skb']);
  assert.ok(def.unavailable.includes('irq:irq_handler_entry'));
  const custom = selectEvents(available, '-syscalls:*,timer:*,-sched_waking');
  assert.deepEqual(custom.events.map((e) => e.name), ['sched_switch', 'netif_receive_skb', 'timer_start']);
  assert.deepEqual(selectEvents(available, 'none,net_if_receive_skb').events, [{ system: 'net', name: 'netif_receive_skb' }]);
  assert.throws(() => selectEvents(available, 'nope'), /no event 'nope'/);
});

test('the name a task gets after exec', () => {
  assert.equal(execComm('/usr/bin/ncat'), 'ncat');
  assert.equal(execComm('/opt/a-very-long-program-name'), 'a-very-long-pro');
});

test('/proc/net tables, ss cookies and ip -j addr', () => {
  const tcp = parseInetTable(
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:1388 0200007F:D908 01 00000010:00000002 00:00000000 00000000  1000        0 4242 1 ffff888140234000 20 4 30 10 -1\n',
    'tcp',
    4,
  );
  assert.equal(tcp.length, 1);
  assert.deepEqual([...tcp[0]!.localAddress], [127, 0, 0, 1]);
  assert.deepEqual([...tcp[0]!.remoteAddress], [127, 0, 0, 2]);
  assert.deepEqual([tcp[0]!.localPort, tcp[0]!.remotePort, tcp[0]!.state, tcp[0]!.txQueue, tcp[0]!.rxQueue, tcp[0]!.uid, tcp[0]!.inode], [5000, 55560, 1, 16, 2, 1000, 4242]);
  assert.equal(tcp[0]!.sk, 0xffff888140234000n);
  const v6 = parseInetTable('header\n   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 77 1 00000000deadbeef 100 0 0 10 0\n', 'tcp', 6);
  assert.deepEqual([...v6[0]!.localAddress], [...Array(15).fill(0), 1]);
  assert.equal(v6[0]!.sk, 0n, 'a hashed pointer is not an address');
  const unix = parseUnixTable('Num       RefCount Protocol Flags    Type St Inode Path\n0000000067e13559: 00000003 00000000 00000000 0001 03  1056\n00000000989624df: 00000002 00000000 00010000 0001 01 68063 /run/x y.sock\n');
  assert.deepEqual(unix, [{ type: 1, state: 3, inode: 1056, path: '' }, { type: 1, state: 1, inode: 68063, path: '/run/x y.sock' }]);
  assert.deepEqual(parseSsCookies('tcp LISTEN 0 64 127.0.0.1:5345 0.0.0.0:* ino:68034 sk:9d83c cgroup:/ <->\ntcp TIME-WAIT 0 0 a b ino:0 sk:c9e41\n'), new Map([[68034, 0x9d83cn]]));
  const ifs = parseIpAddr('[{"ifindex":1,"ifname":"lo","addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8},{"family":"inet6","local":"::1","prefixlen":128}]}]');
  assert.deepEqual(ifs, [{ ifindex: 1, name: 'lo', addresses: [{ family: 'inet', address: '127.0.0.1', prefixLength: 8 }, { family: 'inet6', address: '::1', prefixLength: 128 }] }]);
  assert.deepEqual([...addressBytes('inet6', 'fe80::1:2')], [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]);
  assert.deepEqual([...addressBytes('inet', '10.77.1.2')].slice(0, 4), [10, 77, 1, 2]);
});

test('own-context events: lifecycle kept whole, interrupt-context filter on the rest, never syscalls or switches', () => {
  const ev = (k: string) => ({ system: k.slice(0, k.indexOf(':')), name: k.slice(k.indexOf(':') + 1) });
  const selected = ['syscalls:sys_enter_read', 'syscalls:sys_exit_read', 'sched:sched_switch', 'sched:sched_waking', 'sched:sched_wakeup_new', 'sched:sched_process_fork', 'sched:sched_process_exec', 'task:task_newtask', 'task:task_rename', 'sched:sched_migrate_task', 'signal:signal_generate', 'irq:softirq_entry', 'net:netif_receive_skb', 'timer:hrtimer_expire_entry'].map(ev);
  const own = ownContextEvents(selected).map((e) => `${e.system}:${e.name}${e.filter ? ` if ${e.filter}` : ''}`);
  assert.deepEqual(own, [
    'sched:sched_process_fork',
    'task:task_newtask',
    'sched:sched_migrate_task',
    'signal:signal_generate',
    `irq:softirq_entry if ${INTERRUPT_CONTEXT_FILTER}`,
    `net:netif_receive_skb if ${INTERRUPT_CONTEXT_FILTER}`,
    `timer:hrtimer_expire_entry if ${INTERRUPT_CONTEXT_FILTER}`,
  ]);
  assert.equal(INTERRUPT_CONTEXT_FILTER, 'common_flags & 0x58');
  assert.deepEqual(ownContextEvents([]), []);
});
