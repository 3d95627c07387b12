/**
 * ncat's modes and options, each run with our ncat and with Debian's real ncat 7.93 and
 * held to the same outcome: -k with several clients and stdin broadcast, the single
 * client of a listener without -k, --send-only, --recv-only, --no-shutdown, -w (refused
 * and a real timeout), -i in both modes, -e/-c, --crlf, -z, -m and -o.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { needsCommands } from '../support/env.js';
import { freePort, KINDS, pollUntil, Procs, sleep, unansweredPort } from './support.js';

const skip = needsCommands('ncat', 'python3');

/** A loopback TCP server run by the test; `onSocket` gets each connection. */
async function peerServer(t: TestContext, onSocket: (socket: Socket) => void): Promise<number> {
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    onSocket(socket);
  });
  t.after(() => server.close());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return (server.address() as { port: number }).port;
}

/** A plain client socket; collects what it receives and whether the peer sent FIN. */
async function peerClient(port: number, host = '127.0.0.1'): Promise<{ socket: Socket; received: () => string; ended: () => boolean }> {
  const socket = new Socket({ allowHalfOpen: true });
  let data = '';
  let ended = false;
  socket.on('data', (d: Buffer) => (data += d.toString()));
  socket.on('end', () => (ended = true));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, host, () => resolve());
  });
  return { socket, received: () => data, ended: () => ended };
}

for (const kind of KINDS) {
  test(`${kind}: -k serves several clients, broadcasts stdin to all, shuts them down at its end`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-k', '-l', '127.0.0.1', String(p)]);
    const a = await peerClient(port);
    const b = await peerClient(port);
    await srv.stderrMatch(/(Connection from 127\.0\.0\.1:\d+\.\n[^]*){2}/, 5000);
    srv.write('to everyone\n');
    await pollUntil(() => a.received() === 'to everyone\n' && b.received() === 'to everyone\n', 5000, () => `a=${a.received()} b=${b.received()}`);
    // One client leaves; the listener stays and the other still gets the broadcast.
    a.socket.write('bye from a\n');
    a.socket.end();
    await srv.stdoutLength(11, 5000);
    srv.write('second\n');
    await pollUntil(() => b.received() === 'to everyone\nsecond\n', 5000, () => `b=${b.received()}`);
    assert.ok(srv.running);
    // End of stdin: shutdown(SHUT_WR) on every client, but -k keeps listening.
    srv.endInput();
    await pollUntil(() => b.ended(), 5000, () => 'client b saw no FIN');
    const c = await peerClient(port);
    c.socket.write('late\n');
    await srv.stdoutLength(16, 5000);
    assert.equal(srv.stdout.toString(), 'bye from a\nlate\n');
    assert.ok(srv.running);
  });

  test(`${kind}: without -k the listening socket closes after the first client`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-l', '127.0.0.1', String(p)]);
    const first = await peerClient(port);
    await srv.stderrMatch(/Connection from 127\.0\.0\.1:\d+\.\n/, 5000);
    const second = procs.start('real', ['127.0.0.1', String(port)]);
    const r = await second.finished(10_000);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Ncat: Connection refused.\n');
    first.socket.end();
    assert.equal((await srv.finished(10_000)).code, 0);
  });

  test(`${kind}: --send-only sends stdin, ignores the peer, quits at end of stdin`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    let got = '';
    const port = await peerServer(t, (socket) => {
      socket.write('ignored\n');
      socket.on('data', (d: Buffer) => (got += d.toString()));
    });
    const cli = procs.start(kind, ['--send-only', '127.0.0.1', String(port)]);
    cli.child.stdin.end('data\n');
    const c = await cli.finished(10_000);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.length, 0);
    await pollUntil(() => got === 'data\n', 5000, () => `server got ${JSON.stringify(got)}`);

    // Listen side: stdin goes to the client, the run ends with stdin.
    const { proc: srv, port: lport } = await procs.listener(kind, (p) => ['-v', '--send-only', '-l', '127.0.0.1', String(p)]);
    const client = await peerClient(lport);
    client.socket.write('never read\n');
    srv.child.stdin.end('from the server\n');
    const s = await srv.finished(10_000);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.length, 0);
    await pollUntil(() => client.received() === 'from the server\n', 5000, () => client.received());
  });

  test(`${kind}: --recv-only prints what arrives, sends nothing, quits at the peer's end`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    let got = '';
    const port = await peerServer(t, (socket) => {
      socket.on('data', (d: Buffer) => (got += d.toString()));
      socket.end('to the client\n');
    });
    const cli = procs.start(kind, ['--recv-only', '127.0.0.1', String(port)]);
    cli.write('not sent\n');
    const c = await cli.finished(10_000);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.toString(), 'to the client\n');
    assert.equal(got, '');
  });

  test(`${kind}: --no-shutdown keeps the write side open at end of stdin`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    for (const noShutdown of [false, true]) {
      let sawEnd = false;
      let got = '';
      const port = await peerServer(t, (socket) => {
        socket.on('end', () => (sawEnd = true));
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          // Give a FIN time to arrive, then report whether it did and close.
          if (got === 'data\n') setTimeout(() => socket.end(`fin seen: ${sawEnd}\n`), 300);
        });
      });
      const cli = procs.start(kind, [...(noShutdown ? ['--no-shutdown'] : []), '127.0.0.1', String(port)]);
      cli.child.stdin.end('data\n');
      const c = await cli.finished(10_000);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), `fin seen: ${!noShutdown}\n`);
    }
  });

  test(`${kind}: -w against a closed port is "Connection refused", against a silent one "TIMEOUT"; both status 1`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const closed = await freePort('tcp');
    const refused = await procs.start(kind, ['-w', '2', '127.0.0.1', String(closed)]).finished(10_000);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, 'Ncat: Connection refused.\n');
    const silent = await unansweredPort(t, 10);
    const timedOut = await procs.start(kind, ['-w', '500ms', '127.0.0.1', String(silent)]).finished(10_000);
    assert.equal(timedOut.code, 1);
    assert.equal(timedOut.stderr, 'Ncat: TIMEOUT.\n');
  });

  test(`${kind}: -i ends an idle client with status 1 and an idle listener with status 2`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const port = await peerServer(t, () => {});
    const cli = procs.start(kind, ['-i', '500ms', '127.0.0.1', String(port)]);
    const c = await cli.finished(10_000);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, 'Ncat: Idle timeout expired (500 ms).\n');

    const { proc: srv, port: lport } = await procs.listener(kind, (p) => ['-v', '-i', '500ms', '-l', '127.0.0.1', String(p)]);
    await peerClient(lport);
    const s = await srv.finished(10_000);
    assert.equal(s.code, 2);
    assert.match(s.stderr, /Ncat: Idle timeout expired \(500 ms\)\. QUITTING\.\n$/);
  });

  test(`${kind}: -e runs a program per connection with NCAT_* variables; -c runs a shell command`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-l', '127.0.0.1', String(p), '-e', '/bin/cat']);
    const echo = await peerClient(port);
    echo.socket.write('echo me\n');
    await pollUntil(() => echo.received() === 'echo me\n', 5000, () => echo.received());
    echo.socket.end();
    assert.equal((await srv.finished(10_000)).code, 0);

    const { proc: envSrv, port: envPort } = await procs.listener(kind, (p) => ['-v', '-l', '127.0.0.1', String(p), '-c', 'env | grep ^NCAT_ | sort']);
    const env = await peerClient(envPort);
    await pollUntil(() => env.ended(), 5000, () => env.received());
    const localPort = env.socket.localPort;
    assert.equal(env.received(), `NCAT_LOCAL_ADDR=127.0.0.1\nNCAT_LOCAL_PORT=${envPort}\nNCAT_PROTO=TCP\nNCAT_REMOTE_ADDR=127.0.0.1\nNCAT_REMOTE_PORT=${localPort}\n`);
    env.socket.end();
    assert.equal((await envSrv.finished(10_000)).code, 0);

    // Connect mode: the program talks to the server; its stderr is ncat's stderr.
    let got = '';
    const cport = await peerServer(t, (socket) => {
      socket.write('question\n');
      socket.on('data', (d: Buffer) => (got += d.toString()));
    });
    const cli = procs.start(kind, ['-c', 'read q; echo "answer to $q"; echo diagnostics >&2', '127.0.0.1', String(cport)]);
    const c = await cli.finished(10_000);
    assert.equal(c.code, 0);
    assert.equal(c.stderr, 'diagnostics\n');
    await pollUntil(() => got === 'answer to question\n', 5000, () => got);
  });

  test(`${kind}: -e without a path fails like execv: "exec: No such file or directory"`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-l', '-v', '127.0.0.1', String(p), '-e', 'cat']);
    const client = await peerClient(port);
    await pollUntil(() => client.ended(), 5000, () => 'connection not closed');
    const s = await srv.finished(10_000);
    assert.equal(s.code, 0);
    assert.match(s.stderr, /^exec: No such file or directory$/m);
  });

  test(`${kind}: --crlf turns bare LF into CRLF and leaves CRLF alone`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    let got = Buffer.alloc(0);
    const port = await peerServer(t, (socket) => socket.on('data', (d: Buffer) => (got = Buffer.concat([got, d]))));
    const cli = procs.start(kind, ['-C', '--send-only', '127.0.0.1', String(port)]);
    cli.child.stdin.end('one\ntwo\r\n\nthree');
    assert.equal((await cli.finished(10_000)).code, 0);
    await pollUntil(() => got.length >= 17, 5000, () => JSON.stringify(got.toString()));
    assert.equal(got.toString(), 'one\r\ntwo\r\n\r\nthree');
  });

  test(`${kind}: -z reports only whether a connection is possible`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const port = await peerServer(t, () => {});
    const open = await procs.start(kind, ['-z', '127.0.0.1', String(port)]).finished(10_000);
    assert.deepEqual([open.code, open.stderr, open.stdout.length], [0, '', 0]);
    const closed = await procs.start(kind, ['-z', '127.0.0.1', String(await freePort('tcp'))]).finished(10_000);
    assert.deepEqual([closed.code, closed.stderr], [1, '']);
  });

  test(`${kind}: -m limits simultaneous clients with -k`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-k', '-m', '1', '-l', '127.0.0.1', String(p)]);
    const first = await peerClient(port);
    await srv.stderrMatch(/Connection from 127\.0\.0\.1:\d+\.\n/, 5000);
    const second = await peerClient(port);
    await pollUntil(() => second.ended(), 5000, () => 'second client not closed');
    assert.match(srv.stderr, /Ncat: New connection denied: connection limit reached \(1\)\n/);
    first.socket.write('still served\n');
    await srv.stdoutLength(13, 5000);
  });

  test(`${kind}: -o writes the session's data to a file`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const dir = mkdtempSync(join(tmpdir(), `tw-ncat-${process.pid}-`));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'session.log');
    const port = await peerServer(t, (socket) => {
      socket.once('data', () => socket.end('pong\n'));
    });
    const cli = procs.start(kind, ['-o', file, '127.0.0.1', String(port)]);
    cli.write('ping\n');
    await cli.stdoutClosed(10_000);
    cli.endInput();
    assert.equal((await cli.finished(10_000)).code, 0);
    assert.equal(readFileSync(file, 'utf8'), 'ping\npong\n');
  });
}

test('ours: listening on port 0 reports the port the kernel chose', { skip, timeout: 30_000 }, async (t) => {
  const procs = new Procs(t);
  const srv = procs.start('ours', ['-v', '-l', '127.0.0.1', '0']);
  const m = await srv.stderrMatch(/Listening on 127\.0\.0\.1:(\d+)\n/, 5000);
  const port = Number(m[1]);
  assert.ok(port > 0);
  const client = await peerClient(port);
  client.socket.end('over port 0\n');
  const s = await srv.finished(10_000);
  assert.equal(s.stdout.toString(), 'over port 0\n');
  await sleep(0);
});
