/**
 * The receive path of a real NIC (hard IRQ → NET_RX → NAPI/GRO → netif_receive_skb),
 * from a trace and a capture written with tracewire's CTF and pcapng writers (see
 * nic-trace.ts): the correlation ties each frame to its IRQ and softirq, the SYN-ACK to
 * the softirq that answered the SYN, and the wakeup to the final ACK; babeltrace2 reads
 * the same events.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { needsCommands, outputDir, runCli } from '../support/env.js';
import { babeltraceEventKeys, eventKeyForOracle } from './oracles.js';
import { NIC, writeNicScenario } from './nic-trace.js';
import { buildDataset } from '../../src/bundle/index.js';
import { analyze, buildStoryFromAnalysis } from '../../src/analysis/story/index.js';
import { frameComments } from '../../src/analysis/correlate/annotations.js';
import type { DatasetAnalysis } from '../../src/analysis/correlate/index.js';

describe('a real NIC: hard IRQ, NET_RX, NAPI', { skip: needsCommands('babeltrace2') }, () => {
  let paths: { kernelDir: string; capture: string };
  let a: DatasetAnalysis;

  before(() => {
    mkdirSync(join(outputDir, 'story'), { recursive: true });
    paths = writeNicScenario(mkdtempSync(join(outputDir, 'story', 'nic-')));
    a = analyze(buildDataset([paths.kernelDir, paths.capture]));
  });

  test('received frames: the IRQ that raised NET_RX, the softirq, GRO and receive', async () => {
    const keys = await babeltraceEventKeys(paths.kernelDir);
    for (const n of [1, 3]) {
      const fc = a.correlation.frames.get(n)!;
      assert.ok(fc.matched, `frame #${n}: ${fc.reason}`);
      assert.equal(fc.anchor!.event.name, 'net_if_receive_skb');
      assert.equal(fc.irq?.irq, NIC.irqIn);
      assert.equal(fc.irq?.name, NIC.irqName);
      assert.equal(fc.softirq?.vec, 3);
      assert.equal(fc.softirq?.raisedBy?.kind, 'irq');
      assert.deepEqual(fc.journey!.hops.map((h) => h.kind).slice(0, 2), ['gro', 'receive']);
      for (const e of fc.events) assert.ok(keys.has(eventKeyForOracle(e)), eventKeyForOracle(e));
    }
    const synAck = a.correlation.frames.get(2)!;
    assert.equal(synAck.anchor!.event.name, 'net_dev_queue');
    assert.equal(synAck.origin?.kind, 'softirq');
    assert.equal(synAck.softirq, a.correlation.frames.get(1)!.softirq, 'answered from the softirq that received the SYN');
  });

  test('the final ACK completes the handshake and wakes the server', () => {
    const ack = a.correlation.frames.get(3)!;
    assert.deepEqual(ack.stateChanges.map((c) => `${c.change.from}>${c.change.to}`), ['10>3', '3>1']);
    assert.deepEqual(ack.woke.map((w) => w.tid), [NIC.server.pid]);
    assert.match(frameComments(ack).join(' '), /kernel: net_if_receive_skb .* in softirq NET_RX .* after IRQ 26 virtio0-input\.0/);
  });

  test('a truncated capture: the story is told up to the damage, then one error line and status 2', async () => {
    const damaged = mkdtempSync(join(outputDir, 'story', 'nic-damaged-'));
    const p = writeNicScenario(damaged);
    truncateSync(p.capture, statSync(p.capture).size - 10);
    const r = await runCli(['story', p.kernelDir, p.capture]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /capture\.pcapng at byte \d+/);
    assert.match(r.stdout, /SYN arrives: frame #1/);
    assert.match(r.stdout, /Damaged input, told up to the damage/);
  });

  test('the story says which hard IRQ brought each packet', () => {
    const story = buildStoryFromAnalysis(a, {});
    const syn = story.steps.find((s) => /SYN arrives/.test(s.title))!;
    assert.match(syn.text, /Hard IRQ 26 \(virtio0-input\.0\) on CPU 0, then softirq NET_RX on CPU 0/);
    assert.ok(syn.events.some((e) => e.name === 'irq_handler_entry'));
    assert.ok(story.steps.some((s) => /the kernel answers SYN-ACK/.test(s.title) && /the kernel's answer to frame #1/.test(s.text)));
    assert.ok(story.steps.some((s) => /handshake completes/.test(s.title)));
  });
});
