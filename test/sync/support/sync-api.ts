/** The sync API and rational helpers tests use, from one place. */
export { computeSync, openSyncHosts, parseRational, toDecimal, applyTransform, type SyncResult } from '../../../src/analysis/sync/index.js';
export { sub, rational } from '../../../src/analysis/sync/rational.js';
