/**
 * `-v` messages: the same scenario is played with our ncat and with Debian's real ncat
 * 7.93, and their stderr lines must be identical apart from the version banner, port
 * numbers and the elapsed time of the closing summary.
 */
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import { test, type TestContext } from 'node:test';
import { needsCommands } from '../support/env.js';
import { freePort, pollUntil, Procs, unansweredPort, type NcatKind } from './support.js';

const skip = needsCommands('ncat', 'python3');

/** stderr without the banner, with ports and the summary's seconds made neutral. */
function normalise(stderr: string): string[] {
  return stderr
    .replace(/^Ncat: Version .*\n/gm, '')
    .replace(/:\d+\b/g, ':PORT')
    .replace(/in \d+\.\d\d seconds/g, 'in T seconds')
    .split('\n')
    .filter((line) => line !== '');
}

/** Runs `scenario` once with each ncat and compares the stderr it returns. */
async function compare(t: TestContext, scenario: (procs: Procs, kind: NcatKind) => Promise<string>): Promise<void> {
  const procs = new Procs(t);
  const ours = normalise(await scenario(procs, 'ours'));
  const real = normalise(await scenario(procs, 'real'));
  assert.deepEqual(ours, real);
  assert.ok(real.length > 0);
}

async function connectTo(port: number, host = '127.0.0.1'): Promise<Socket> {
  const socket = new Socket({ allowHalfOpen: true });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => resolve());
  });
  return socket;
}

test('-v: a TCP listener and its client, from connection to end', { skip, timeout: 30_000 }, async (t) => {
  for (const side of ['server', 'client'] as const) {
    await compare(t, async (procs, kind) => {
      const serverKind = side === 'server' ? kind : 'real';
      const { proc: srv, port } = await procs.listener(serverKind, (p) => ['-v', '-l', '127.0.0.1', String(p)]);
      srv.write('from the server\n');
      const cli = procs.start(side === 'client' ? kind : 'real', ['-v', '127.0.0.1', String(port)]);
      cli.write('from the client\n');
      await cli.stdoutLength(16, 10_000);
      await srv.stdoutLength(16, 10_000);
      cli.endInput();
      const s = await srv.finished(10_000);
      const c = await cli.finished(10_000);
      return side === 'server' ? s.stderr : c.stderr;
    });
  }
});

test('-v: connection refused, and a -w timeout', { skip, timeout: 30_000 }, async (t) => {
  const closed = await freePort('tcp');
  await compare(t, async (procs, kind) => (await procs.start(kind, ['-v', '127.0.0.1', String(closed)]).finished(10_000)).stderr);
  const silent = await unansweredPort(t, 10);
  await compare(t, async (procs, kind) => (await procs.start(kind, ['-vw', '300ms', '127.0.0.1', String(silent)]).finished(10_000)).stderr);
});

test('-v: a listener on every address (:: and 0.0.0.0), and a port already taken', { skip, timeout: 30_000 }, async (t) => {
  const port = await freePort('tcp', '::');
  await compare(t, async (procs, kind) => {
    const srv = procs.start(kind, ['-v', '-l', String(port)]);
    await srv.stderrMatch(/Listening on 0\.0\.0\.0:\d+\n/, 5000);
    const busy = await procs.start(kind, ['-v', '-l', String(port)]).finished(10_000);
    assert.equal(busy.code, 2);
    srv.kill();
    await srv.finished(5000);
    return srv.stderr + busy.stderr;
  });
});

test('-v: -k with two clients, and the idle timeout of a listener', { skip, timeout: 30_000 }, async (t) => {
  await compare(t, async (procs, kind) => {
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-k', '-i', '700ms', '-l', '127.0.0.1', String(p)]);
    const connections = (): number => srv.stderr.match(/Connection from/g)?.length ?? 0;
    const a = await connectTo(port);
    await pollUntil(() => connections() >= 2, 5000, () => srv.stderr);
    const b = await connectTo(port);
    await pollUntil(() => connections() >= 4, 5000, () => srv.stderr);
    const s = await srv.finished(10_000);
    a.destroy();
    b.destroy();
    assert.equal(s.code, 2);
    return s.stderr;
  });
});

test('-v: UDP listener and client', { skip, timeout: 30_000 }, async (t) => {
  for (const side of ['server', 'client'] as const) {
    await compare(t, async (procs, kind) => {
      const { proc: srv, port } = await procs.listener(side === 'server' ? kind : 'real', (p) => ['-v', '-u', '-l', '127.0.0.1', String(p)], 'udp');
      const cli = procs.start(side === 'client' ? kind : 'real', ['-v', '-u', '127.0.0.1', String(port)]);
      cli.write('datagram\n');
      await srv.stdoutLength(9, 10_000);
      await pollUntil(() => /Connection from/.test(srv.stderr), 5000, () => srv.stderr);
      cli.endInput();
      const c = await cli.finished(10_000);
      srv.kill();
      await srv.finished(5000);
      return side === 'server' ? srv.stderr : c.stderr;
    });
  }
});

test('-v: -z against an open port', { skip, timeout: 30_000 }, async (t) => {
  await compare(t, async (procs, kind) => {
    const { proc: srv, port } = await procs.listener('real', (p) => ['-v', '-k', '-l', '127.0.0.1', String(p)]);
    const r = await procs.start(kind, ['-v', '-z', '127.0.0.1', String(port)]).finished(10_000);
    srv.kill();
    assert.equal(r.code, 0);
    return r.stderr;
  });
});
