/**
 * The JSON shape of a synchronisation (what `tracewire sync --format json` prints), and
 * reading it back so other commands can apply a saved synchronisation (`--sync FILE`).
 *
 * ```json
 * {"matches": 46, "reference": "VM3",
 *  "transforms": [{"trace": "/…/scp_dest", "host": "VM3", "slope": 1, "offset": 0,
 *                  "slope_decimal": "1", "offset_decimal": "0", "quality": "reference", …},
 *                 {"trace": "/…/scp_src", "host": "VM1", "slope": 0.99994137837031…,
 *                  "offset": 79796507913179.33, …, "quality": "accurate", …}],
 *  "pairs": [{"hosts": ["VM3", "VM1"], "matches": 46, "quality": "accurate", …}], …}
 * ```
 * t′ = slope·t + offset (ns) moves a trace's timestamps onto the reference host's clock;
 * the `*_decimal` strings are exact enough to apply to 64-bit nanosecond timestamps.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeError, FormatError, TracewireError } from '../../base/errors.js';
import { transformFromJson, transformToJson, type ClockTransform } from './clock-transform.js';
import type { SyncResult } from './compute-sync.js';
import { toDecimal, toNumber } from './rational.js';

/** Builds the JSON object of a result (numbers are plain JSON numbers; no bigints). */
export function syncResultToJson(r: SyncResult): Record<string, unknown> {
  const transforms: Record<string, unknown>[] = [];
  for (const h of r.hosts) {
    const paths = h.host.traces.length ? h.host.traces.map((t) => t.path) : [h.host.input];
    for (const trace of paths)
      transforms.push({
        trace,
        host: h.host.name,
        ...transformToJson(h.transform),
        quality: h.quality,
        reference: h.index === r.reference,
        uncertainty_ns: h.uncertaintyNs,
        via: h.path.map((i) => r.hosts[i]!.host.name),
      });
  }
  return {
    matches: r.matches,
    reference: r.hosts[r.reference]!.host.name,
    transforms,
    pairs: r.pairs.map((p) => ({
      hosts: [r.hosts[p.a]!.host.name, r.hosts[p.b]!.host.name],
      matches: p.state.matches,
      hull_matches: p.state.hullMatches,
      quality: p.state.quality,
      // y = alpha·x + beta: first host's clock x to the second's y.
      alpha: toNumber(p.state.alpha),
      beta: toNumber(p.state.beta),
      alpha_decimal: toDecimal(p.state.alpha, 36),
      beta_decimal: toDecimal(p.state.beta, 12),
      accuracy: toNumber(p.accuracy),
      uncertainty_ns: p.uncertaintyNs,
      // The matched time range on the first host's clock (decimal ns strings: beyond 2^53).
      matched_from_ns: p.state.firstX === null ? null : String(p.state.firstX),
      matched_to_ns: p.state.lastX === null ? null : String(p.state.lastX),
      hull_points: { below: p.state.belowHullSize, above: p.state.aboveHullSize },
    })),
    packets: {
      sends: r.stats.sends,
      receives: r.stats.receives,
      duplicates: r.stats.duplicates,
      same_host: r.stats.sameHost,
      unmatched_sends: r.stats.unmatchedSends,
      unmatched_receives: r.stats.unmatchedReceives,
      expired: r.stats.expired,
      per_host: r.hosts.map((h, i) => ({ host: h.host.name, input: h.host.input, observations: r.stats.observations[i] ?? 0 })),
    },
  };
}

/**
 * Reads a saved `tracewire sync --format json` output: trace directory (resolved) →
 * transform. Throws FormatError when the file is not such an output.
 */
export function readSyncFile(file: string): Map<string, ClockTransform> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    // a missing or unreadable file is bad input (one line, exit 2), like a bad trace path
    if ((err as NodeJS.ErrnoException).code) throw new TracewireError(describeError(err));
    throw new FormatError(file, undefined, `not valid JSON: ${(err as Error).message}`);
  }
  const list = (parsed as { transforms?: unknown }).transforms;
  if (!Array.isArray(list)) throw new FormatError(file, undefined, 'not a `tracewire sync --format json` output (no "transforms" list)');
  const out = new Map<string, ClockTransform>();
  list.forEach((e: unknown, i) => {
    const entry = e as Record<string, unknown>;
    const t = typeof entry?.trace === 'string' ? transformFromJson(entry) : null;
    if (!t) throw new FormatError(file, undefined, `transforms[${i}]: needs "trace" and a positive slope and an offset`);
    out.set(resolve(entry.trace as string), t);
  });
  return out;
}
