/**
 * The seed conversation on loopback (server and client in one namespace, 127.0.0.1) with
 * a normal close: the client is an ncat that exits (FIN). On `lo` every packet is
 * captured twice — leaving (net_dev_queue) and coming back in (net_if_receive_skb) — as
 * the same sk_buff, and there is no hard IRQ: the sender's own transmit raises NET_RX.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { needsCommands, needsRootTracefs } from '../support/env.js';
import { StoryLab } from './lab.js';
import { flagNames, tsharkTcpFrames, type TsharkFrame } from './oracles.js';
import { buildDataset, runSeedConversation, type Dataset, type SeedConversationResult } from '../../src/bundle/index.js';
import { analyze, buildStoryFromAnalysis, type Story } from '../../src/analysis/story/index.js';
import type { DatasetAnalysis } from '../../src/analysis/correlate/index.js';

const skip = needsRootTracefs() ?? needsCommands('ncat', 'tshark');

describe('the seed conversation on loopback, closed with FIN', { skip }, () => {
  let lab: StoryLab;
  let conv: SeedConversationResult;
  let ds: Dataset;
  let a: DatasetAnalysis;
  let story: Story;
  let frames: TsharkFrame[];

  before(async () => {
    lab = StoryLab.create();
    const rec = await lab.record('loopback', async () => {
      conv = await runSeedConversation({ serverNetns: lab.server, clientNetns: lab.server, serverAddress: '127.0.0.1', port: 5001, teardown: 'fin' });
    });
    ds = buildDataset([rec.bundleDir]);
    a = analyze(ds);
    story = buildStoryFromAnalysis(a, { port: 5001 });
    frames = (await tsharkTcpFrames(join(rec.bundleDir, 'capture.pcapng'))).filter((f) => f.sport === 5001 || f.dport === 5001);
  });
  after(() => lab?.destroy());

  test('each packet on lo is correlated, with the sender’s queue and the receiver’s softirq in one journey', () => {
    // libpcap's `any` keeps the incoming copy of loopback packets only.
    assert.ok(frames.length >= 8, `${frames.length} frames`);
    for (const f of frames) {
      const fc = a.correlation.frames.get(f.number)!;
      const df = ds.frames[f.number - 1]!;
      assert.ok(fc.matched, `frame #${f.number}: ${fc.reason}`);
      assert.equal(df.device, 'lo');
      assert.equal(fc.anchor!.event.name, df.direction === 'out' ? 'net_dev_queue' : 'net_if_receive_skb');
      const kinds = fc.journey!.hops.map((h) => h.kind);
      assert.ok(kinds.includes('queue') && kinds.includes('receive'), `frame #${f.number}: ${kinds}`);
      assert.ok(fc.origin, `frame #${f.number}: who sent it`);
      if (df.direction === 'in') {
        assert.equal(fc.irq, null, 'no hard IRQ on loopback');
        assert.equal(fc.softirq?.vec, 3);
      }
    }
  });

  test('each copy belongs to the socket at its end (sender out, receiver in)', () => {
    for (const f of frames) {
      const fc = a.correlation.frames.get(f.number)!;
      const df = ds.frames[f.number - 1]!;
      const serverSends = f.sport === 5001;
      const serverEnd = serverSends === (df.direction === 'out');
      assert.equal(fc.owner?.pid, serverEnd ? conv.serverPid : conv.clientPid, `frame #${f.number} ${df.direction} ${flagNames(f.flags)}`);
    }
  });

  test('the story tells each packet once, what the server sent, and the FIN teardown', () => {
    assert.equal(story.subject?.pid, conv.serverPid);
    const told = story.steps.flatMap((s) => s.frames);
    // One step per packet at the server's end, plus the other copy cited alongside.
    const steps = story.steps.filter((s) => s.frames.length && s.kind !== 'wakeup' && !/^accept/.test(s.title) && !/^recvfrom/.test(s.title));
    assert.equal(new Set(steps.map((s) => s.frames[0])).size, steps.length);
    assert.ok(told.length >= frames.length / 2);
    assert.ok(story.steps.some((s) => /^accept4?\(3 = listen 127\.0\.0\.1:5001\) → 4 = 127\.0\.0\.1:\d+/.test(s.title)));
    assert.ok(story.steps.some((s) => /the kernel answers SYN-ACK/.test(s.title) && /no system call of ncat/.test(s.text)));
    assert.ok(story.steps.some((s) => /^sendto\(4 = .*, 6 bytes\) = 6 → net_dev_queue → net_dev_xmit → frame #\d+ \[PSH,ACK\] len 6/.test(s.title)));
    assert.ok(story.steps.some((s) => /the peer closes its side \(FIN\)/.test(s.title)));
    assert.ok(story.steps.some((s) => /^recvfrom\(4 = .*\) = 0/.test(s.title) && /End of stream/.test(s.text)));
    assert.ok(story.steps.some((s) => /^close\(4 = .*→ frame #\d+ \[FIN,ACK\]/.test(s.title)), story.steps.map((s) => s.title).join('\n'));
    assert.ok(story.steps.some((s) => s.kind === 'exit'));
  });
});
