/** Every packet's time, flags and stream, loaded once: the timelines draw them as marks. */
import { getJson } from './api.js';

export interface PacketMarks {
  t: number[];
  no: number[];
  stream: number[];
  flags: number[];
  expert: number[];
  info: string[];
  sorted: boolean;
}

let marks: PacketMarks | null = null;

export async function loadPacketMarks(): Promise<void> {
  marks = await getJson<PacketMarks>('/api/packets/marks');
}

export function packetMarks(): PacketMarks | null {
  return marks;
}
