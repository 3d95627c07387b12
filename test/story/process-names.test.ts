/**
 * A process is named in the list of connections as it is known at the end of the trace,
 * like the story's subject: a socket opened before an exec (the demo's ncat gets its stdio
 * sockets while it is still the `tracewire` launcher) is listed under the program the
 * process became, not under the one that opened it. Recorded live: python opens an
 * inheritable socket pair and execs `sleep`.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { needsCommands, needsRootTracefs } from '../support/env.js';
import { StoryLab } from './lab.js';
import { buildDataset } from '../../src/bundle/index.js';
import { analyze, listConnections } from '../../src/analysis/story/index.js';

const skip = needsRootTracefs() ?? needsCommands('python3', 'sleep');

describe('process names in the connection list', { skip }, () => {
  test('a socket opened before an exec is listed under the name the process ends with', async () => {
    const lab = StoryLab.create();
    try {
      let pid = 0;
      const rec = await lab.record('exec-names', async () => {
        // socket calls on each end: the list keeps sockets that socket calls name
        const script = "import socket, os\na, b = socket.socketpair()\nfor i in range(3):\n    a.getsockname(); b.getsockname()\na.set_inheritable(True)\nb.set_inheritable(True)\nos.execvp('sleep', ['sleep', '0.3'])";
        const child = spawn('python3', ['-c', script], { stdio: 'ignore' });
        pid = child.pid!;
        await new Promise((resolve) => child.on('exit', resolve));
      });
      const a = analyze(buildDataset([rec.bundleDir]));
      assert.equal(a.threads.get(pid)?.comm, 'sleep', 'the trace saw the exec');
      const held = listConnections(a).flatMap((c) => c.ref.processes.filter((p) => p.pid === pid));
      assert.ok(held.length >= 2, `both ends of the socket pair are listed for pid ${pid}`);
      for (const p of held) assert.equal(p.comm, 'sleep', `fd ${p.fd} of pid ${pid}`);
    } finally {
      lab.destroy();
    }
  });
});
