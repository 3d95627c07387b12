/**
 * tracewire's kernel analysis: the state model of a kernel trace (threads, CPUs, IRQ lines,
 * softirq vectors, wakeups), built in one streaming pass together with the syscall / IRQ /
 * scheduling statistics and the fd → socket → connection tables.
 *
 * Entry points: `analyzeKernel` / `analyzeKernelAsync` (a TraceCollection in, a
 * KernelModel out), or `KernelModelBuilder` to feed messages yourself. See model.ts for the
 * queries and states.ts for the meaning of every state code.
 */
export { analyzeKernel, analyzeKernelAsync, kernelTraceOf, type AnalysisProgress, type AnalyzeOptions, type AsyncAnalyzeOptions, type KernelTraceSource } from './analyze.js';
export { KernelModelBuilder, type BuilderOptions } from './builder.js';
export { KernelModel, type IntervalSlice, type RowKind, type StateInterval, type ThreadInfo, type TimelineRow, type WakeupInfo } from './model.js';
export { RowState, ROW_STATE_NAMES, rowStateName, softirqName, taskStateLetters } from './states.js';
export { WakerContext, WAKER_CONTEXT_NAMES, WakeupKind, WAKEUP_KIND_NAMES, type WakeupLog } from './wakeup-log.js';
export { NetEventKind, NET_EVENT_KIND_NAMES, type NetEventLog } from './net-event-log.js';
export { classifyEvent, EventKind, type EventClassification } from './vocabulary.js';
export type { KernelListener, EventSite } from './listener.js';
export type { ThreadRecord } from './thread-record.js';
export type { SyscallStatistics, ThreadSyscalls, ProcessSyscalls, SyscallSummary } from '../stats/syscall-stats.js';
export type { IrqStatistics, HardIrqSummary, SoftIrqSummary } from '../stats/irq-stats.js';
export type { SchedStatistics, SchedLatencyRecord, ThreadLatency, ProcessLatency, PrioLatency } from '../stats/sched-stats.js';
export type { DurationSummary } from '../stats/running-stats.js';
export type { FdModel, FdInfo, SocketInfo } from '../fds/fd-model.js';
