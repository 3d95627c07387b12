/**
 * pcapng constants (draft-ietf-opsawg-pcapng): block types and option codes shared by
 * the reader and the writer.
 */

export const BlockType = {
  SECTION_HEADER: 0x0a0d0d0a,
  INTERFACE_DESCRIPTION: 0x00000001,
  PACKET_OBSOLETE: 0x00000002,
  SIMPLE_PACKET: 0x00000003,
  NAME_RESOLUTION: 0x00000004,
  INTERFACE_STATISTICS: 0x00000005,
  ENHANCED_PACKET: 0x00000006,
  SYSTEMD_JOURNAL: 0x00000009,
  DECRYPTION_SECRETS: 0x0000000a,
  CUSTOM: 0x00000bad,
  CUSTOM_NO_COPY: 0x40000bad,
} as const;

export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

/** Options valid in every block. */
export const OPT_ENDOFOPT = 0;
export const OPT_COMMENT = 1;

export const ShbOption = { HARDWARE: 2, OS: 3, USERAPPL: 4 } as const;

export const IdbOption = {
  NAME: 2,
  DESCRIPTION: 3,
  IPV4ADDR: 4,
  IPV6ADDR: 5,
  MACADDR: 6,
  EUIADDR: 7,
  SPEED: 8,
  TSRESOL: 9,
  TZONE: 10,
  FILTER: 11,
  OS: 12,
  FCSLEN: 13,
  TSOFFSET: 14,
  HARDWARE: 15,
} as const;

export const EpbOption = { FLAGS: 2, HASH: 3, DROPCOUNT: 4, PACKETID: 5, QUEUE: 6, VERDICT: 7 } as const;

export const IsbOption = {
  STARTTIME: 2,
  ENDTIME: 3,
  IFRECV: 4,
  IFDROP: 5,
  FILTERACCEPT: 6,
  OSDROP: 7,
  USRDELIV: 8,
} as const;

/** Largest block we accept, as Wireshark does (a D-Bus-sized packet plus slack): bigger is damage. */
export const MAX_BLOCK_SIZE = 128 * 1024 * 1024 + 131_072 + 32;

/** Rounds up to a multiple of 4 (pcapng pads every variable-length field to 32 bits). */
export function pad4(n: number): number {
  return (n + 3) & ~3;
}
