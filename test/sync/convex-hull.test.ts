/**
 * The convex-hull synchroniser on synthetic point sets: Trace Compass's own SyncTest
 * sequences (same verdicts and the same alpha/beta at every step), a known clock drift
 * recovered within the hull's bound, and edge cases (one direction only, same-x points,
 * collinear points, a causality violation).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConvexHullSync, offsetUncertainty } from '../../src/analysis/sync/convex-hull.js';
import { add, compare, mul, rational, sub, toDecimal } from '../../src/analysis/sync/rational.js';

type Step = [sender: 't1' | 't2', send: number, recv: number, quality: string, alpha?: string, beta?: string];

/** t1 is the reference (Trace Compass orders hosts by name). */
function replay(steps: Step[]): void {
  const hull = new ConvexHullSync();
  for (const [sender, send, recv, quality, alpha, beta] of steps) {
    hull.addMatch(sender === 't1', BigInt(send), BigInt(recv));
    const s = hull.state();
    const where = `after ${sender} ${send} -> ${recv}`;
    assert.equal(s.quality, quality, where);
    if (alpha !== undefined) assert.equal(toDecimal(s.alpha, 30), alpha, `alpha ${where}`);
    if (beta !== undefined) assert.equal(toDecimal(s.beta, 30), beta, `beta ${where}`);
  }
}

test("Trace Compass SyncTest.testFullyIncremental: same verdict and formula at every step", () => {
  replay([
    ['t2', 1, 1, 'incomplete', '1', '0'],
    ['t1', 1, 3, 'incomplete', '1', '0'],
    ['t2', 2, 3, 'approximate', '1', '0.5'],
    ['t1', 3, 5, 'accurate', '0.75', '1.25'],
    ['t1', 4, 8, 'accurate', '0.75', '1.25'],
    ['t2', 4, 5, 'accurate', '1.125', '0.875'],
    ['t2', 4, 6, 'accurate', '1.125', '0.875'],
    ['t1', 6, 7, 'accurate', '0.725', '1.275'],
    // The hulls start to intersect; the last good formula is kept after the failure.
    ['t1', 7, 4, 'accurate', '0.375', '1.625'],
    ['t2', 7, 3, 'fail', '0.375', '1.625'],
  ]);
});

test('Trace Compass SyncTest.testOneHull: packets in one direction only stay incomplete', () => {
  replay([
    ['t1', 1, 3, 'incomplete'],
    ['t1', 2, 5, 'incomplete'],
    ['t1', 3, 5, 'incomplete'],
    ['t1', 4, 7, 'incomplete', '1', '0'],
  ]);
});

test('Trace Compass SyncTest.testDisjoint: one direction, then the other', () => {
  replay([
    ['t1', 1, 3, 'incomplete'],
    ['t1', 2, 5, 'incomplete'],
    ['t1', 3, 5, 'incomplete'],
    ['t1', 4, 7, 'incomplete', '1', '0'],
    ['t2', 7, 6, 'approximate'],
    ['t2', 8, 6, 'approximate'],
    ['t2', 10, 8, 'approximate', '1', '2.5'],
  ]);
});

test('a known drift and offset is recovered within the hull bound', () => {
  // Other clock = (1 + 40 ppm)·ref + 3.2 s; one-way delays 20-220 µs, a packet each way every 10 ms.
  const alphaTrue = rational(1_000_040n, 1_000_000n);
  const betaTrue = rational(3_200_000_000n);
  const other = (x: bigint) => {
    const y = add(mul(alphaTrue, rational(x)), betaTrue);
    return y.n / y.d;
  };
  let seed = 7;
  const delay = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return 20_000n + BigInt(seed % 200_000);
  };
  const hull = new ConvexHullSync();
  const t0 = 1_700_000_000_000_000_000n;
  for (let i = 0; i < 2000; i++) {
    const t = t0 + BigInt(i) * 10_000_000n;
    hull.addMatch(true, t, other(t + delay())); // reference → other
    const back = t + 5_000_000n;
    hull.addMatch(false, other(back), back + delay()); // other → reference
  }
  const s = hull.state();
  assert.equal(s.quality, 'accurate');
  assert.equal(s.matches, 4000);
  // The true slope lies between the two bounding slopes, and the result is close to it.
  assert.ok(compare(s.alphaMin, alphaTrue) <= 0 && compare(alphaTrue, s.alphaMax) <= 0, 'alphaMin <= alpha <= alphaMax');
  const slopeError = Math.abs(Number(toDecimal(sub(s.alpha, alphaTrue), 20)));
  assert.ok(slopeError < 1e-7, `slope error ${slopeError}`);
  // At every matched time the estimate is within the reported uncertainty (+1 ns for the integer true clock).
  const u = offsetUncertainty(s)!;
  const bound = Number(toDecimal(u, 3)) + 1;
  assert.ok(bound > 0 && bound < 100_000, `uncertainty ${bound} ns`);
  for (const x of [t0, t0 + 10_000_000_000n, t0 + 19_990_000_000n]) {
    const est = add(mul(s.alpha, rational(x)), s.beta);
    const err = Math.abs(Number(toDecimal(sub(est, rational(other(x))), 3)));
    assert.ok(err <= bound, `error ${err} ns > bound ${bound} ns at ${x}`);
  }
  // Only the points that tightened a bound were kept on the chains.
  assert.ok(s.belowHullSize + s.aboveHullSize < 200, `${s.belowHullSize + s.aboveHullSize} hull points`);
});

test('edge cases: identical x, collinear points, and a causality violation', () => {
  // Several packets at the same reference time: slopes default to 1 rather than dividing by 0.
  const same = new ConvexHullSync();
  same.addMatch(true, 100n, 150n);
  same.addMatch(false, 120n, 100n);
  same.addMatch(true, 100n, 160n);
  same.addMatch(false, 120n, 100n);
  assert.notEqual(same.state().quality, 'fail');

  // Collinear points on both sides (two parallel rows): bounded, and slope 1 is inside the bounds.
  const col = new ConvexHullSync();
  for (const x of [0n, 10n, 20n, 30n]) {
    col.addMatch(true, x, x + 5n);
    col.addMatch(false, x + 7n, x + 9n);
  }
  const cs = col.state();
  assert.equal(cs.quality, 'accurate');
  assert.ok(compare(cs.alphaMin, rational(1n)) < 0 && compare(rational(1n), cs.alphaMax) < 0);

  // A receive that happens "before" its send on a clock consistent with everything else.
  const bad = new ConvexHullSync();
  bad.addMatch(true, 0n, 10n);
  bad.addMatch(false, 20n, 15n);
  bad.addMatch(true, 30n, 40n);
  bad.addMatch(false, 50n, 45n);
  assert.equal(bad.state().quality, 'accurate');
  const good = bad.state();
  bad.addMatch(true, 60n, 20n); // received at 20 on the other clock, far before any consistent line
  bad.addMatch(false, 70n, 90n);
  assert.equal(bad.state().quality, 'fail');
  assert.equal(toDecimal(bad.state().alpha, 30), toDecimal(good.alpha, 30), 'the last good formula is kept');
});
