/**
 * The fully incremental convex-hull clock synchronisation of two hosts (Jabbarifar,
 * Shameli-Sendi and Dagenais, "Streaming mode incremental clock synchronization"; the
 * method Trace Compass implements as SyncAlgorithmFullyIncremental).
 *
 * Geometry. Each matched packet is a point (x, y): x on the reference host's clock, y on
 * the other host's clock. Let y = α·x + β be the (unknown) relation between the clocks.
 * A packet sent by the reference at x and received by the other at y lies ABOVE that line
 * (the receive happens after the send); a packet sent by the other and received by the
 * reference lies BELOW it. The algorithm keeps, incrementally and in O(1) amortised time
 * per match, the convex chain of each point set that faces the line, and the two
 * extreme lines that separate the sets: Lmax (steepest) and Lmin (flattest). The result
 * is their bisector, α = (αmax + αmin)/2, β = (βmin + βmax)/2, and αmax − αmin says how
 * tight it is.
 *
 * Verdicts (as Trace Compass): `absent` (no match), `incomplete` (packets in one
 * direction only — no line can be bounded on both sides), `approximate` (both directions
 * but one of the lines is not yet fixed by two points), `accurate` (both lines bounded,
 * αmax > αmin), `fail` (the lines crossed: some match violates causality, e.g. a wrong
 * match or a clock step; the last good formula is kept).
 *
 * Everything is exact: points are bigint nanoseconds, cross products bigint, slopes and
 * offsets rationals — no rounding anywhere, so results are reproducible bit for bit.
 */
import { add, compare, div, mul, ONE, rational, sub, ZERO, type Rational } from './rational.js';

export type SyncQuality = 'accurate' | 'approximate' | 'incomplete' | 'absent' | 'fail';

/** A matched packet: x on the reference host's clock, y on the other host's clock. */
interface HullPoint {
  readonly x: bigint;
  readonly y: bigint;
}

/** A line through two hull points; `from` may be missing while only one point is known. */
interface BoundLine {
  from: HullPoint | null;
  to: HullPoint | null;
}

/** Cross product (a − p) × (b − p): > 0 when p → a → b turns counter-clockwise. */
function cross(p: HullPoint, a: HullPoint, b: HullPoint): bigint {
  return (a.x - p.x) * (b.y - p.y) - (a.y - p.y) * (b.x - p.x);
}

/** Slope of the line from `p0` to `p1`, 1 when undefined (missing point, vertical). */
function slope(p1: HullPoint, p0: HullPoint | null): Rational {
  if (p0 === null || p1.x === p0.x) return ONE;
  return rational(p1.y - p0.y, p1.x - p0.x);
}

/** y-intercept of the line of slope `alpha` through `p`. */
function intercept(p: HullPoint, alpha: Rational): Rational {
  return sub(rational(p.y), mul(alpha, rational(p.x)));
}

/** Everything known about the synchronisation of one host pair at a moment. */
export interface HullState {
  readonly quality: SyncQuality;
  /** y = alpha·x + beta maps the reference host's clock to the other's. */
  readonly alpha: Rational;
  readonly beta: Rational;
  /** Slopes of the bounding lines; `alphaMax − alphaMin` is Trace Compass's "accuracy". */
  readonly alphaMin: Rational;
  readonly alphaMax: Rational;
  readonly betaMin: Rational;
  readonly betaMax: Rational;
  /** Matches seen, and matches that changed a hull (Trace Compass's "accurate matches"). */
  readonly matches: number;
  readonly hullMatches: number;
  /** Points on the chain below the line (sent by the other host) and above it (sent by the reference). */
  readonly belowHullSize: number;
  readonly aboveHullSize: number;
  /** Smallest and largest x of all matches (reference clock), or null before the first. */
  readonly firstX: bigint | null;
  readonly lastX: bigint | null;
}

/**
 * The incremental convex-hull synchroniser of one host pair. Feed it every match in the
 * order the matches are found (which, as in Trace Compass, is trace time order); read
 * `state()` at any moment.
 */
export class ConvexHullSync {
  /** Convex chain of the points below the line (packets received by the reference). */
  private readonly below: HullPoint[] = [];
  /** Convex chain of the points above the line (packets sent by the reference). */
  private readonly above: HullPoint[] = [];
  /** Steepest separating line: from a point below to a point above. */
  private readonly lmax: BoundLine = { from: null, to: null };
  /** Flattest separating line: from a point above to a point below. */
  private readonly lmin: BoundLine = { from: null, to: null };
  private alphaMin: Rational = ONE;
  private alphaMax: Rational = ONE;
  private betaMin: Rational = ZERO;
  private betaMax: Rational = ZERO;
  private alpha: Rational = ONE;
  private beta: Rational = ZERO;
  private matches = 0;
  private hullMatches = 0;
  private quality: SyncQuality = 'absent';
  private firstX: bigint | null = null;
  private lastX: bigint | null = null;

  /**
   * Adds one matched packet. `sentByReference` tells the direction; `sendTs` is the
   * sender's clock at the send, `recvTs` the receiver's clock at the receive.
   */
  addMatch(sentByReference: boolean, sendTs: bigint, recvTs: bigint): void {
    this.matches++;
    // Points below the line maintain their chain with orientation +1, points above with −1.
    const p: HullPoint = sentByReference ? { x: sendTs, y: recvTs } : { x: recvTs, y: sendTs };
    if (this.firstX === null || p.x < this.firstX) this.firstX = p.x;
    if (this.lastX === null || p.x > this.lastX) this.lastX = p.x;
    const chain = sentByReference ? this.above : this.below;
    const otherChain = sentByReference ? this.below : this.above;
    const line = sentByReference ? this.lmax : this.lmin;
    const otherLine = sentByReference ? this.lmin : this.lmax;
    const sign = sentByReference ? -1n : 1n;

    // A point qualifies when it is on the wrong side of its current bounding line, i.e.
    // it tightens the bound.
    let qualifies = false;
    if (line.from === null || line.to === null || cross(p, line.from, line.to) * sign > 0n) {
      qualifies = true;
      this.hullMatches++;
      this.pushOnChain(p, chain, sign);
      line.to = p;
    }
    // Re-anchor this line on the other chain; if the other line's anchor left our chain,
    // re-anchor it too.
    this.reanchor(line, otherChain, sign);
    if (otherLine.to !== null && (otherLine.from === null || !chain.includes(otherLine.from))) this.reanchor(otherLine, chain, -sign);
    if (qualifies) this.recompute();
  }

  /** Appends `p` to a chain, first dropping the tail points it makes non-convex. */
  private pushOnChain(p: HullPoint, chain: HullPoint[], sign: bigint): void {
    while (chain.length >= 2 && cross(p, chain[chain.length - 2]!, chain[chain.length - 1]!) * sign > 0n) chain.pop();
    chain.push(p);
  }

  /**
   * Walks the other chain from the line's current anchor to the point that makes the line
   * through `line.to` a supporting line of that chain (the rotating-calipers step).
   */
  private reanchor(line: BoundLine, otherChain: HullPoint[], sign: bigint): void {
    const to = line.to!;
    let candidate: HullPoint | null = null;
    let i = line.from === null ? 0 : Math.max(0, otherChain.indexOf(line.from));
    let done = false;
    while (i < otherChain.length - 1 && !done) {
      candidate = otherChain[i]!;
      const next = otherChain[i + 1]!;
      if (cross(candidate, next, to) * sign > 0n) {
        if (next.x < to.x) {
          i++;
        } else {
          // The next chain point is past the line's end: settle on `candidate` below.
          line.from = null;
          done = true;
        }
      } else {
        line.from = candidate;
        done = true;
      }
    }
    // Same rule as Trace Compass (whose results we reproduce): a walk that ran off the
    // chain keeps the previous anchor; an unset anchor takes the last candidate.
    if (line.from === null) line.from = candidate;
    // A line's anchor must precede its end.
    if (line.from !== null && line.from.x > to.x) line.from = null;
  }

  /** Recomputes the bisector and verdict after a hull changed. */
  private recompute(): void {
    if (this.lmax.from !== null || this.lmin.from !== null) {
      // Once failed, keep the last good formula (like Trace Compass).
      if (this.quality === 'fail') return;
      const alphaMax = slope(this.lmax.to!, this.lmax.from);
      const alphaMin = slope(this.lmin.to!, this.lmin.from);
      let quality: SyncQuality;
      if (this.lmax.from === null || this.lmin.from === null) quality = 'approximate';
      else if (compare(alphaMax, alphaMin) > 0) quality = 'accurate';
      else quality = 'fail';
      if (quality !== 'fail') {
        this.alphaMax = alphaMax;
        this.betaMin = intercept(this.lmax.to!, alphaMax);
        this.alphaMin = alphaMin;
        this.betaMax = intercept(this.lmin.to!, alphaMin);
        const half = rational(1n, 2n);
        this.alpha = mul(add(alphaMax, alphaMin), half);
        this.beta = mul(add(this.betaMin, this.betaMax), half);
      }
      this.quality = quality;
    } else if ((this.lmax.from === null && this.lmin.to === null) || (this.lmax.to === null && this.lmin.from === null)) {
      this.quality = 'incomplete';
    }
  }

  /** A snapshot of the pair's synchronisation. */
  state(): HullState {
    return {
      quality: this.quality,
      alpha: this.alpha,
      beta: this.beta,
      alphaMin: this.alphaMin,
      alphaMax: this.alphaMax,
      betaMin: this.betaMin,
      betaMax: this.betaMax,
      matches: this.matches,
      hullMatches: this.hullMatches,
      belowHullSize: this.below.length,
      aboveHullSize: this.above.length,
      firstX: this.firstX,
      lastX: this.lastX,
    };
  }
}

/**
 * Half the vertical distance between the two bounding lines, maximised over the matched
 * range [firstX, lastX] of the reference clock: how far (in the other host's time units)
 * the bisector can be from any line consistent with every match. Null unless the state
 * is `accurate` (only then are both lines fixed).
 */
export function offsetUncertainty(state: HullState): Rational | null {
  if (state.quality !== 'accurate' || state.firstX === null || state.lastX === null) return null;
  const gapAt = (x: bigint): Rational => {
    const up = add(mul(state.alphaMin, rational(x)), state.betaMax);
    const low = add(mul(state.alphaMax, rational(x)), state.betaMin);
    const g = sub(up, low);
    return g.n < 0n ? { n: -g.n, d: g.d } : g;
  };
  const a = gapAt(state.firstX);
  const b = gapAt(state.lastX);
  return div(compare(a, b) >= 0 ? a : b, rational(2n));
}
