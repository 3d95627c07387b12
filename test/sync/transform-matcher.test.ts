/**
 * Exact clock transforms (apply, compose, inverse, JSON round trip) and the packet
 * matcher's rules for duplicates, same-host pairs and memory bounding.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTransform, compose, inverse, transformApplier, transformFromJson, transformToJson, type ClockTransform } from '../../src/analysis/sync/clock-transform.js';
import { PacketMatcher, type PacketMatch } from '../../src/analysis/sync/packet-matcher.js';
import { parseRational, rational, toDecimal } from '../../src/analysis/sync/rational.js';

test('applyTransform is exact where a double slope is off by ~100 ns', () => {
  const t: ClockTransform = { slope: parseRational('0.9999413783703139011056845831168394')!, offset: parseRational('79796507913179.33347660124688298171')! };
  const ts = 1361214076535112167n;
  // ⌊slope·ts + offset⌋ by hand in decimal fixed point (34 + 20 fractional digits).
  const slopeInt = 9999413783703139011056845831168394n; // ×10^-34
  const offInt = 7979650791317933347660124688298171n; // ×10^-20
  const exact = (slopeInt * ts * 10n ** 20n + offInt * 10n ** 34n) / 10n ** 54n;
  assert.equal(applyTransform(ts, t), exact);
  assert.equal(transformApplier(t)(ts), exact);
  const viaDouble = BigInt(Math.floor(0.9999413783703139 * Number(ts) + 79796507913179.33));
  assert.ok(viaDouble !== exact, 'a double computation would not be exact here');
  // Negative results floor towards −∞ in both paths.
  const back: ClockTransform = { slope: rational(1n), offset: rational(-7n, 2n) };
  assert.equal(applyTransform(1n, back), -3n);
  assert.equal(transformApplier(back)(1n), -3n);
});

test('compose and inverse are exact; JSON keeps enough digits to apply exactly', () => {
  const a: ClockTransform = { slope: rational(1_000_040n, 1_000_000n), offset: rational(3_200_000_000n) };
  const b: ClockTransform = { slope: rational(999_999n, 1_000_000n), offset: rational(-5n, 3n) };
  const ab = compose(a, b);
  for (const ts of [0n, 1n, 1_700_000_000_123_456_789n]) {
    assert.equal(applyTransform(ts, ab), applyTransform(ts, { slope: ab.slope, offset: ab.offset }));
    const round = compose(inverse(a), a);
    assert.equal(toDecimal(round.slope, 40), '1');
    assert.equal(toDecimal(round.offset, 40), '0');
  }
  const j = transformToJson(b);
  assert.equal(j.slope, 0.999999);
  assert.equal(j.slope_decimal, '0.999999');
  assert.equal(j.offset_decimal, '-1.666666666667');
  const back = transformFromJson(JSON.parse(JSON.stringify(j)))!;
  for (const ts of [1_700_000_000_123_456_789n, 123n]) assert.equal(applyTransform(ts, back), applyTransform(ts, b));
  assert.equal(transformFromJson({ slope: -1, offset: 0 }), null);
  assert.equal(parseRational('1e-3')!.d, 1000n);
  assert.equal(parseRational('abc'), null);
});

function collect(hosts: number): { matcher: PacketMatcher; matches: PacketMatch[] } {
  const matches: PacketMatch[] = [];
  return { matcher: new PacketMatcher(hosts, (m) => matches.push(m)), matches };
}

test('matcher: first send and first receive of a key are paired; copies are ignored', () => {
  const { matcher, matches } = collect(2);
  const k = { keyClass: 'ip', key: '10.0.0.1.5>10.0.0.2.80 1 2 16' };
  matcher.observe({ host: 0, ts: 100n, direction: 'send', ...k });
  matcher.observe({ host: 0, ts: 300n, direction: 'send', ...k }); // retransmission while the first waits
  matcher.observe({ host: 1, ts: 350n, direction: 'receive', ...k });
  assert.deepEqual(matches, [{ ...k, sender: 0, sendTs: 100n, receiver: 1, recvTs: 350n }]);
  assert.equal(matcher.stats.duplicates, 1);
  // A receive that comes first (the receiver's clock is behind) waits for its send.
  matcher.observe({ host: 1, ts: 10n, direction: 'receive', keyClass: 'ip', key: 'x' });
  matcher.observe({ host: 0, ts: 500n, direction: 'send', keyClass: 'ip', key: 'x' });
  assert.equal(matches.length, 2);
  assert.equal(matches[1]!.sendTs, 500n);
  assert.equal(matches[1]!.recvTs, 10n);
});

test('matcher: never pairs two events of one host, and keys of different classes never match', () => {
  const { matcher, matches } = collect(2);
  matcher.observe({ host: 0, ts: 1n, direction: 'send', keyClass: 'ip', key: 'k' });
  matcher.observe({ host: 0, ts: 2n, direction: 'receive', keyClass: 'ip', key: 'k' }); // loopback
  assert.equal(matches.length, 0);
  assert.equal(matcher.stats.sameHost, 1);
  matcher.observe({ host: 1, ts: 3n, direction: 'receive', keyClass: 'inet', key: 'k' });
  assert.equal(matches.length, 0);
  matcher.observe({ host: 1, ts: 4n, direction: 'receive', keyClass: 'ip', key: 'k' });
  assert.equal(matches.length, 1);
  assert.equal(matches[0]!.receiver, 1);
});

test('matcher: once a host matched with every other host, its older unmatched sends expire', () => {
  const { matcher } = collect(2);
  for (let i = 0; i < 100; i++) matcher.observe({ host: 0, ts: BigInt(i), direction: 'send', keyClass: 'ip', key: `lost${i}` });
  matcher.observe({ host: 0, ts: 200n, direction: 'send', keyClass: 'ip', key: 'ok' });
  matcher.observe({ host: 1, ts: 210n, direction: 'receive', keyClass: 'ip', key: 'ok' });
  assert.equal(matcher.stats.expired, 100);
  assert.deepEqual(matcher.unmatched(), { sends: 0, receives: 0 });
});
