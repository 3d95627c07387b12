/**
 * The state codes of the kernel model's rows. Every interval of every row carries one
 * of these codes (a `Uint8Array` column) plus two integers whose meaning depends on the
 * code (`value` and `aux`, `Int32Array` columns); the table below is the contract.
 *
 * | row kind | state            | value                         | aux                          |
 * |----------|------------------|-------------------------------|------------------------------|
 * | thread   | RUN_USER         | -1                            | CPU it runs on               |
 * | thread   | RUN_KERNEL       | -1 (kernel thread running)    | CPU                          |
 * | thread   | RUN_SYSCALL      | syscall name id (`model.names`)| CPU                         |
 * | thread   | IRQ              | IRQ line that interrupted it  | CPU                          |
 * | thread   | SOFTIRQ          | softirq vector running over it| CPU                          |
 * | thread   | WAIT_CPU         | -1 (runnable, not running)    | CPU it was last on, or -1    |
 * | thread   | BLOCKED          | `prev_state` of its sched_switch (S=1, D=2, …) | syscall name id it blocked in, or -1 |
 * | thread   | UNKNOWN          | -1                            | -1                           |
 * | cpu      | IDLE             | -1                            | 0                            |
 * | cpu      | RUN_USER/RUN_KERNEL | -1                         | tid running                  |
 * | cpu      | RUN_SYSCALL      | syscall name id               | tid running                  |
 * | cpu      | RUNNING (stored) | thread uid running            | tid running                  |
 * | cpu      | IRQ              | IRQ line                      | tid interrupted (0 = idle)   |
 * | cpu      | SOFTIRQ          | softirq vector                | tid interrupted (0 = idle)   |
 * | cpu      | UNKNOWN          | -1                            | -1 (before the first sched_switch, after lost events) |
 * | irq      | IRQ              | IRQ line                      | tid interrupted              |
 * | softirq  | SOFTIRQ_RAISED   | vector                        | -1 (pending, not yet run)    |
 * | softirq  | SOFTIRQ          | vector                        | tid interrupted              |
 *
 * CPU rows are stored coarse — RUNNING(thread) while a thread runs, so that a system call
 * costs one interval (on the thread's row), not two — and queries expand RUNNING into the
 * thread's RUN_USER / RUN_SYSCALL / RUN_KERNEL pieces; callers of the model never see
 * RUNNING unless the thread's row has no state there.
 *
 * Rows have gaps where nothing is known or nothing happens: a thread row starts when the
 * thread is first seen and ends when it exits; IRQ and softirq rows only hold the
 * intervals where the line or vector is active (or raised).
 */

export const enum RowState {
  UNKNOWN = 0,
  RUN_USER = 1,
  RUN_SYSCALL = 2,
  RUN_KERNEL = 3,
  IRQ = 4,
  SOFTIRQ = 5,
  WAIT_CPU = 6,
  BLOCKED = 7,
  IDLE = 8,
  SOFTIRQ_RAISED = 9,
  RUNNING = 10,
}

/** Printable names of the state codes (index = code), stable for JSON and the UI. */
export const ROW_STATE_NAMES: readonly string[] = [
  'unknown',
  'user',
  'syscall',
  'kernel',
  'irq',
  'softirq',
  'wait_cpu',
  'blocked',
  'idle',
  'softirq_raised',
  'running',
];

/** The name of a state code (`'syscall'`, `'wait_cpu'`, …). */
export function rowStateName(code: number): string {
  return ROW_STATE_NAMES[code] ?? `state_${code}`;
}

/** Softirq vector names, from include/linux/interrupt.h (the kernel's `softirq_to_name`). */
export const SOFTIRQ_NAMES: readonly string[] = ['HI', 'TIMER', 'NET_TX', 'NET_RX', 'BLOCK', 'IRQ_POLL', 'TASKLET', 'SCHED', 'HRTIMER', 'RCU'];

/** `NET_RX`, `TIMER`, … or `vec N` for vectors the kernel does not define. */
export function softirqName(vec: number): string {
  return SOFTIRQ_NAMES[vec] ?? `vec ${vec}`;
}

/**
 * The task state letters of `prev_state` in sched_switch (the kernel's
 * TASK_REPORT bits: S=1, D=2, T=4, t=8, X=16, Z=32, P=64, I=128), as `ps` prints them.
 */
export function taskStateLetters(prevState: number): string {
  if ((prevState & 0xff) === 0) return 'R';
  const letters = 'SDTtXZPI';
  let s = '';
  for (let bit = 0; bit < 8; bit++) if (prevState & (1 << bit)) s += letters[bit];
  return s;
}

/** True when sched_switch's `prev_state` says the task was still runnable (preempted). */
export function isRunnablePrevState(prevState: number): boolean {
  // TASK_RUNNING is 0; kernels add a high "preempted" bit (TASK_REPORT_MAX, or
  // TASK_STATE_MAX on older kernels) that is not a sleeping state.
  return (prevState & 0xff) === 0;
}

/** True when `prev_state` says the task is dead (EXIT_DEAD 16 or EXIT_ZOMBIE 32). */
export function isDeadPrevState(prevState: number): boolean {
  return (prevState & 0x30) !== 0 && (prevState & 0x0f) === 0;
}
