/**
 * What a dataset cannot show, said plainly, with what to enable to see it.
 */
import type { DatasetAnalysis } from '../correlate/index.js';
import { EventKind, tracedKinds } from '../correlate/event-names.js';

interface Need {
  /** Any of these kinds of events shows it. */
  readonly kinds: readonly EventKind[];
  readonly what: string;
  /** `tracewire record --events` item and LTTng command. */
  readonly enable: string;
}

const NEEDS: readonly Need[] = [
  { kinds: [EventKind.SCHED_SWITCH], what: 'when threads block and run (sched_switch)', enable: 'sched_switch (tracewire records it by default; LTTng: lttng enable-event -k sched_switch)' },
  { kinds: [EventKind.SCHED_WAKING, EventKind.SCHED_WAKEUP], what: 'who wakes a blocked thread (sched_waking/sched_wakeup)', enable: 'sched_waking, sched_wakeup (LTTng: lttng enable-event -k sched_waking,sched_wakeup)' },
  { kinds: [EventKind.IRQ_ENTRY], what: 'hard interrupts (irq_handler_entry/exit)', enable: 'irq_handler_entry, irq_handler_exit (LTTng: lttng enable-event -k irq_handler_*)' },
  { kinds: [EventKind.SOFTIRQ_ENTRY], what: 'softirqs such as NET_RX (irq_softirq_entry/exit/raise)', enable: 'irq_softirq_entry, irq_softirq_exit, irq_softirq_raise (LTTng: lttng enable-event -k irq_softirq_*)' },
  { kinds: [EventKind.NET_DEV_QUEUE], what: 'packets leaving through a device (net_dev_queue)', enable: 'net_dev_queue, net_dev_xmit (LTTng: lttng enable-event -k net_dev_queue,net_dev_xmit)' },
  { kinds: [EventKind.NET_RECEIVE, EventKind.NET_RX], what: 'packets entering the stack (net_if_receive_skb/netif_rx)', enable: 'net_if_receive_skb, netif_rx (LTTng: lttng enable-event -k net_if_receive_skb,netif_rx)' },
  { kinds: [EventKind.INET_SOCK_SET_STATE], what: "TCP state changes and sockets' addresses (inet_sock_set_state)", enable: 'sock:inet_sock_set_state (tracewire default; not in lttng-modules: record with tracewire)' },
  { kinds: [EventKind.SKB_COPY_DATAGRAM], what: 'which received buffer a read returned (skb_copy_datagram_iovec)', enable: 'skb_copy_datagram_iovec (LTTng: lttng enable-event -k skb_copy_datagram_iovec)' },
  { kinds: [EventKind.TCP_RETRANSMIT], what: "the kernel's retransmissions (tcp_retransmit_skb)", enable: 'tcp:tcp_retransmit_skb (tracewire default)' },
];

function has(kinds: ReadonlySet<EventKind>, need: Need): boolean {
  return need.kinds.some((k) => kinds.has(k));
}

function hasSyscalls(kinds: ReadonlySet<EventKind>): boolean {
  return kinds.has(EventKind.SYSCALL_ENTRY);
}

/** The limitations of `a` for a story (and `extra` situation-specific ones). */
export function limitationsOf(a: DatasetAnalysis, extra: readonly string[] = []): string[] {
  const out: string[] = [];
  const ds = a.dataset;
  if (!ds.kernel) {
    out.push('No kernel trace: the story shows packets only — no system calls, interrupts, softirqs or wakeups. Record with `tracewire record` (or LTTng) to see the kernel side.');
  } else if (ds.kernel.traces.every((t) => t.domain === 'ust')) {
    out.push('This is a userspace (LTTng-UST) trace: it holds no kernel events, so no connection can be followed. Trace the kernel (lttng enable-event -k --syscall -a; lttng enable-event -k sched_switch,sched_waking,net_*,skb_*) or record a bundle with `tracewire record`.');
  } else {
    const kinds = tracedKinds(ds.kernelEventNames);
    if (!hasSyscalls(kinds)) out.push('System calls were not traced: socket/accept/select/read/send cannot be shown. Enable them (tracewire records them by default; LTTng: lttng enable-event -k --syscall -a).');
    for (const need of NEEDS) {
      if (!has(kinds, need)) out.push(`Not traced: ${need.what}. Enable ${need.enable}.`);
    }
    if (a.trace?.discarded) out.push(`The tracer lost ${a.trace.discarded} events (ring buffer overrun): some steps may be missing. Use a larger buffer (--buffer-size) or fewer events.`);
  }
  if (!ds.capturePath) {
    out.push(ds.kernel ? 'No packet capture: frames, flags and sequence numbers are not known; packets appear only as kernel events (device, length, socket buffer). Record a bundle with `tracewire record` to capture them on the same clock.' : 'No capture.');
  } else {
    if (ds.bundle?.capture.dropped) out.push(`The capture dropped ${ds.bundle.capture.dropped} packets.`);
    if (ds.bundle?.capture.error) out.push(`Capture problem: ${ds.bundle.capture.error}.`);
    if (ds.kernel && !ds.bundle) out.push(`Clocks: ${ds.clockNote}.`);
  }
  if (ds.bundle && !ds.bundle.complete) out.push(`The recording did not finish normally (${ds.bundle.stop_reason}${ds.bundle.error ? `: ${ds.bundle.error}` : ''}).`);
  for (const d of ds.damage) out.push(`Damaged input, told up to the damage: ${d}.`);
  out.push(...extra);
  return out;
}
