/**
 * The per-frame JSON record of `tracewire packets --format jsonl`, byte for byte the
 * record pcap-oracle derives from tshark. It is written by `PacketRecordEncoder`
 * (packet-record-encoder.ts) straight into an output buffer; `packetRecordJson` returns
 * the same bytes as a string. `epochText` is the record's `ts` text.
 */
export { oracleProto, packetRecordJson } from './packet-record-encoder.js';

const NS_PAD = ['', '0', '00', '000', '0000', '00000', '000000', '0000000', '00000000', '000000000'];

/** `seconds.nanoseconds` with 9 digits, as tshark's frame.time_epoch. */
export function epochText(sec: number, nsec: number): string {
  const ns = String(nsec);
  return `${sec}.${NS_PAD[9 - ns.length]}${ns}`;
}
