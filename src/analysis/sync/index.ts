/**
 * Clock synchronisation between hosts (issue 5 item 4): match the TCP segments seen on
 * two hosts and compute each host's linear clock transform with the fully incremental
 * convex-hull method (Jabbarifar, Shameli-Sendi, Dagenais; Trace Compass's
 * SyncAlgorithmFullyIncremental), exactly, in bigint/rational arithmetic.
 *
 * ```ts
 * const result = computeSync(openSyncHosts(['hostA/', 'hostB/']));
 * const t = result.hosts[1].transform;               // hostB → hostA's clock
 * applyTransform(1361214076535112167n, t);          // exact ⌊slope·t + offset⌋
 * // for --sync in other commands:
 * const sync = timelineSync(paths);                 // or timelineSync(paths, 'saved.json')
 * for (const { message, ts } of syncedMessages(openTraceCollection(paths), sync)) …
 * ```
 */
export { applyTransform, compose, IDENTITY, inverse, isIdentity, transformApplier, transformFromJson, transformToJson, type ClockTransform, type ClockTransformJson } from './clock-transform.js';
export { computeSync, type HostQuality, type HostSync, type PairSync, type SyncOptions, type SyncResult, type SyncStats } from './compute-sync.js';
export { ConvexHullSync, offsetUncertainty, type HullState, type SyncQuality } from './convex-hull.js';
export { PacketMatcher, type MatcherStats, type PacketDirection, type PacketMatch, type PacketObservation } from './packet-matcher.js';
export { eventPacketIdentity, ipSegmentKey, PACKET_EVENT_NAMES, type PacketIdentity } from './packet-sources.js';
export { readCapturedSegments, normaliseAddress, type CapturedSegment } from './capture-source.js';
export { openSyncHosts, type HostCapture, type SyncHost } from './sync-hosts.js';
export { readSyncFile, syncResultToJson } from './sync-report.js';
export { syncedMessages, timelineSync, type SyncedMessage, type TimelineSync } from './synced-timeline.js';
export { parseRational, rational, toDecimal, toNumber, type Rational } from './rational.js';
