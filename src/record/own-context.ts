/**
 * What the recorder's own threads are allowed to leave in the trace.
 *
 * The main instance excludes the recorder's threads (`set_event_notrace_pid`): reading
 * the ring buffers and writing the spool would otherwise trace itself — every read()
 * makes events that make pages to read — and fill the trace with tracewire's own work.
 * But ftrace's pid filter works on the task that is *current*, whatever the event is
 * about, so it also drops events that describe other tasks or the machine and merely
 * happen to fire while a recorder thread is on the CPU:
 *
 * - `sched_process_fork` and `task_newtask` fire in the parent: the recorded command, the
 *   processes a `workload` spawns (the demo's ncat servers and clients), tcpdump and the
 *   state dump's helpers would all appear out of nowhere — no parent, no inherited fd
 *   table (only `sched_wakeup_new` got through, because the kernel's pid filter decides
 *   wake-ups by the woken task);
 * - `sched_migrate_task`, `sched_process_free` and `signal_generate` (the recorder
 *   interrupting its command) name another task but run in the caller's context;
 * - hard IRQs and softirqs that land on a recorder thread — and every `net_*`, `skb_*`,
 *   `sock`/`tcp` event of a packet processed in that softirq.
 *
 * A second, small instance (the "own-context" instance) records exactly those for the
 * recorder's threads: `set_event_pid` holds the same tids as the main instance's
 * `set_event_notrace_pid`, so the kernel's own filter splits every event between the two
 * instances with neither gap nor overlap. Lifecycle events are kept whole; everything
 * else only in interrupt context (`common_flags` hardirq/softirq/NMI bits), so the
 * recorder's own process-context work still never reaches the trace. Both instances use
 * the same clock, and the conversion merges the two spools CPU by CPU in time order.
 *
 * Why not start the command through a shim that exists before the state dump and execs
 * the command once tracing is on? It would cover `tracewire record -- COMMAND` only: a
 * `workload` spawns its processes from the recorder's own thread after the dump, and so
 * do the recorder's helpers. A shell shim would also change what the command sees
 * (argv[0] lookup and "not found" reporting by the shell, an extra exec in the trace).
 * Keeping the kernel's real fork events covers every case with no change to the command.
 */
import type { EventId } from '../ftrace/event-set.js';

/** Suffix of the own-context instance's name (`tracewire-<pid>-<hex>-own`). */
export const OWN_INSTANCE_SUFFIX = '-own';
/** Spool subdirectory of the own-context instance's pages. */
export const OWN_SPOOL_DIR = 'own';
/** Ring buffer per CPU of the own-context instance, KiB: it sees few events. */
export const OWN_BUFFER_KB = 1024;

/** Events about other tasks that fire in the caller's context: kept in any context. */
const LIFECYCLE_EVENTS: ReadonlySet<string> = new Set([
  'sched:sched_process_fork',
  'task:task_newtask',
  'sched:sched_migrate_task',
  'sched:sched_process_free',
  'signal:signal_generate',
]);

/**
 * Never in the own-context instance: system calls and exec/exit/rename are the recorder's
 * own work, and the kernel's pid filter already decides switches and wake-ups by the other
 * task (a switch is kept when either side is traced, a wake-up when the woken task is).
 */
const MAIN_ONLY_SYSTEMS: ReadonlySet<string> = new Set(['syscalls', 'raw_syscalls']);
const MAIN_ONLY_EVENTS: ReadonlySet<string> = new Set([
  'sched:sched_switch',
  'sched:sched_waking',
  'sched:sched_wakeup',
  'sched:sched_wakeup_new',
  // Only ever about the calling task itself, in process context: the recorder's own.
  'sched:sched_process_exec',
  'sched:sched_process_exit',
  'sched:sched_process_wait',
  'task:task_rename',
]);

/** ftrace `common_flags` bits of interrupt context: TRACE_FLAG_HARDIRQ 0x08, SOFTIRQ 0x10, NMI 0x40. */
export const INTERRUPT_CONTEXT_FILTER = 'common_flags & 0x58';

/** One event of the own-context instance, with the filter it needs (undefined: none). */
export interface OwnContextEvent extends EventId {
  readonly filter?: string;
}

/** The recorder-context events to keep, given the main instance's selection. */
export function ownContextEvents(selected: readonly EventId[]): OwnContextEvent[] {
  const out: OwnContextEvent[] = [];
  for (const e of selected) {
    const key = `${e.system}:${e.name}`;
    if (MAIN_ONLY_SYSTEMS.has(e.system) || MAIN_ONLY_EVENTS.has(key)) continue;
    out.push(LIFECYCLE_EVENTS.has(key) ? { system: e.system, name: e.name } : { system: e.system, name: e.name, filter: INTERRUPT_CONTEXT_FILTER });
  }
  return out;
}
