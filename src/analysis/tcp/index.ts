/**
 * TCP (and UDP) analysis of captures, Wireshark-compatible.
 *
 * - `TcpAnalyzer` — streaming: `analyze(frame, summary)` per frame in file order returns
 *   the frame's `TcpFrameInfo` (tcp.stream, relative seq/ack, calculated window, payload
 *   length, expert flags, ack RTT); `conversations[stream]` holds each `TcpConversation`
 *   (endpoints, packets/bytes/payload each way, duration, retransmissions, expert counts,
 *   handshake RTT).
 * - `PacketStream` — capture → dissect → analyse pipeline yielding `AnalyzedPacket`s.
 * - `packetRecordJson` — the pcap-oracle JSON record of a frame.
 * - `packetFields()` — filter/UI fields of an analysed packet.
 * - `TcpFollower` — Follow TCP Stream.
 */
export { TcpAnalyzer, TcpConversation, TcpFlowState, TcpFrameInfo, type AnalyzedFrameRef } from './analyzer.js';
export { TcpExpert, analysisNames, effectiveExpertFlags, expertInfoPrefix, EXPERT_FIELDS } from './expert.js';
export { PacketStream, type AnalyzedPacket, type PacketStreamOptions } from './packet-stream.js';
export { packetRecordJson, epochText, oracleProto } from './packet-record.js';
export { packetFields, type PacketField } from './packet-fields.js';
export { defaultColumns, renderLine, infoText, protocolName, relativeTime, timeDigits, type PacketColumn } from './packet-columns.js';
export { TcpFollower, formatFollowAscii, formatFollowHex, type FollowChunk } from './follow.js';
export { UdpConversation, UdpConversationTable } from './udp-conversations.js';
export { conversationTableText, formatSize } from './conversation-table.js';
