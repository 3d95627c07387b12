/**
 * The network device events of the trace (`net_dev_queue`, `net_dev_xmit`,
 * `netif_receive_skb`/`net_if_receive_skb`, `netif_rx`/`net_if_rx`), columnar, with the
 * context the model knew when each fired (thread, IRQ or softirq). Packet ↔ kernel
 * correlation and the story use them to place packets on CPUs and threads.
 */
import { grownColumn } from './typed-columns.js';

export const enum NetEventKind {
  RECEIVE = 0,
  RX = 1,
  DEV_QUEUE = 2,
  DEV_XMIT = 3,
}

export const NET_EVENT_KIND_NAMES: readonly string[] = ['receive_skb', 'rx', 'dev_queue', 'dev_xmit'];

export class NetEventLog {
  length = 0;
  time: Float64Array = new Float64Array(256);
  cpu: Int32Array = new Int32Array(256);
  kind: Uint8Array = new Uint8Array(256);
  /** Bytes (`len`), or -1. */
  len: Int32Array = new Int32Array(256);
  /** Thread record uid current on the CPU, or -1. */
  threadUid: Int32Array = new Int32Array(256);
  /** WakerContext code of the CPU at the event (thread, irq, softirq, idle). */
  context: Uint8Array = new Uint8Array(256);
  /** The `skbaddr` (kernel address of the packet buffer), 0n when absent. */
  skb: BigUint64Array = new BigUint64Array(256);
  /** Device name id in `devices`. */
  device: Int32Array = new Int32Array(256);
  readonly devices: string[] = [];
  private readonly deviceIds = new Map<string, number>();

  add(time: number, cpu: number, kind: number, len: number, threadUid: number, context: number, skb: bigint, device: string): void {
    const i = this.length;
    if (i === this.time.length) this.grow(i * 2);
    this.time[i] = time;
    this.cpu[i] = cpu;
    this.kind[i] = kind;
    this.len[i] = len;
    this.threadUid[i] = threadUid;
    this.context[i] = context;
    this.skb[i] = BigInt.asUintN(64, skb);
    let d = this.deviceIds.get(device);
    if (d === undefined) {
      d = this.devices.length;
      this.devices.push(device);
      this.deviceIds.set(device, d);
    }
    this.device[i] = d;
    this.length = i + 1;
  }

  private grow(n: number): void {
    this.time = grownColumn(this.time, n);
    this.cpu = grownColumn(this.cpu, n);
    this.kind = grownColumn(this.kind, n);
    this.len = grownColumn(this.len, n);
    this.threadUid = grownColumn(this.threadUid, n);
    this.context = grownColumn(this.context, n);
    this.skb = grownColumn(this.skb, n);
    this.device = grownColumn(this.device, n);
  }
}
