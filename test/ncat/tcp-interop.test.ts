/**
 * TCP interoperability with Debian's real ncat 7.93 on loopback: ours as the server with
 * the real client and the other way round, over IPv4 and IPv6, text both ways, an 8 MiB
 * random binary transfer in each direction checked by SHA-256, and how each side ends
 * when the peer closes in order or resets.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Socket } from 'node:net';
import { test } from 'node:test';
import { needsCommands } from '../support/env.js';
import { Procs, sha256, type NcatKind } from './support.js';

const skip = needsCommands('ncat');
const PAIRS: ReadonlyArray<{ server: NcatKind; client: NcatKind }> = [
  { server: 'ours', client: 'real' },
  { server: 'real', client: 'ours' },
];

for (const { server, client } of PAIRS) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`TCP ${host}: ${server} server ⇄ ${client} client exchange lines both ways`, { skip, timeout: 30_000 }, async (t) => {
      const procs = new Procs(t);
      const { proc: srv, port } = await procs.listener(server, (p) => ['-v', '-l', host, String(p)], 'tcp', host);
      srv.write('hello from the server\n');
      const cli = procs.start(client, [host, String(port)]);
      cli.write('hello from the client\n');
      await srv.stdoutLength(22, 10_000);
      await cli.stdoutLength(22, 10_000);
      // End of the client's stdin → FIN → the server (no -k) ends with status 0 …
      cli.endInput();
      const s = await srv.finished(10_000);
      assert.equal(s.code, 0, s.stderr);
      assert.equal(s.stdout.toString(), 'hello from the client\n');
      // … and closes, so the client, whose stdin is over too, ends with status 0.
      const c = await cli.finished(10_000);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), 'hello from the server\n');
    });
  }

  test(`TCP: 8 MiB random bytes ${client} client → ${server} server, SHA-256 intact`, { skip, timeout: 60_000 }, async (t) => {
    const procs = new Procs(t);
    const data = randomBytes(8 << 20);
    const { proc: srv, port } = await procs.listener(server, (p) => ['-v', '-l', '127.0.0.1', String(p)]);
    const cli = procs.start(client, ['127.0.0.1', String(port)]);
    cli.child.stdin.end(data);
    const s = await srv.finished(40_000);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.length, data.length);
    assert.equal(sha256(s.stdout), sha256(data));
    const c = await cli.finished(10_000);
    assert.equal(c.code, 0, c.stderr);
  });

  test(`TCP: 8 MiB random bytes ${server} server → ${client} client, SHA-256 intact`, { skip, timeout: 60_000 }, async (t) => {
    const procs = new Procs(t);
    const data = randomBytes(8 << 20);
    const { proc: srv, port } = await procs.listener(server, (p) => ['-v', '-l', '127.0.0.1', String(p)]);
    const cli = procs.start(client, ['127.0.0.1', String(port)]);
    // The server's end of stdin shuts its write side down after the data; the client then
    // closes its stdout, and only then do we end its stdin (ending it earlier would make
    // the server, which leaves when its client does, stop before sending everything).
    srv.child.stdin.end(data);
    await cli.stdoutClosed(40_000);
    cli.endInput();
    const c = await cli.finished(10_000);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(c.stdout.length, data.length);
    assert.equal(sha256(c.stdout), sha256(data));
    const s = await srv.finished(10_000);
    assert.equal(s.code, 0, s.stderr);
  });
}

/** A plain socket to `port` that says one line and waits for the listener's greeting. */
async function rawClient(port: number): Promise<Socket> {
  const socket = new Socket();
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', () => resolve());
  });
  socket.write('from the client\n');
  return socket;
}

for (const kind of ['ours', 'real'] as const) {
  test(`TCP: ${kind} listener ends 0 when its client closes in order, 1 when it resets`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    for (const [how, expected] of [['close', 0], ['reset', 1]] as const) {
      const { proc: srv, port } = await procs.listener(kind, (p) => ['-v', '-l', '127.0.0.1', String(p)]);
      const socket = await rawClient(port);
      await srv.stdoutLength(16, 10_000);
      if (how === 'close') socket.end();
      else socket.resetAndDestroy();
      const s = await srv.finished(10_000);
      assert.equal(s.code, expected, `${how}: ${s.stderr}`);
      assert.equal(s.stdout.toString(), 'from the client\n');
      // A reset is silent on the listener's side, as with ncat (no error line).
      assert.doesNotMatch(s.stderr, /reset|refused|Broken/i);
    }
  });

  test(`TCP: ${kind} client reports a reset (status 1) but waits for stdin after an orderly close`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    for (const how of ['close', 'reset'] as const) {
      const { createServer } = await import('node:net');
      const server = createServer((socket) => {
        socket.on('error', () => {});
        socket.write('bye\n', () => setTimeout(() => (how === 'close' ? socket.end() : socket.resetAndDestroy()), 100));
      });
      t.after(() => server.close());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
      const port = (server.address() as { port: number }).port;
      const cli = procs.start(kind, ['127.0.0.1', String(port)]);
      if (how === 'reset') {
        const c = await cli.finished(10_000);
        assert.equal(c.code, 1);
        assert.equal(c.stderr, 'Ncat: Connection reset by peer.\n');
        assert.equal(c.stdout.toString(), 'bye\n');
      } else {
        // ncat closes stdout at the peer's end-of-file but goes on until stdin ends.
        await cli.stdoutClosed(10_000);
        assert.ok(cli.running, 'the client must wait for the end of its stdin');
        cli.endInput();
        const c = await cli.finished(10_000);
        assert.equal(c.code, 0, c.stderr);
        assert.equal(c.stdout.toString(), 'bye\n');
      }
      server.close();
    }
  });
}

for (const { server, client } of [...PAIRS, { server: 'ours' as const, client: 'ours' as const }]) {
  test(`TCP: the seed's session — ${server} \`--listen ADDR PORT\`, ${client} client killed — server ends with status 0`, { skip, timeout: 30_000 }, async (t) => {
    const procs = new Procs(t);
    const { proc: srv, port } = await procs.listener(server, (p) => ['-v', '--listen', '127.0.0.1', String(p)]);
    const cli = procs.start(client, ['127.0.0.1', String(port)]);
    await srv.stderrMatch(/Connection from 127\.0\.0\.1:\d+\.\n/, 10_000);
    srv.write('Hello\n');
    await cli.stdoutLength(6, 10_000);
    cli.write('a line from the client\n');
    await srv.stdoutLength(23, 10_000);
    cli.child.kill('SIGKILL');
    const s = await srv.finished(10_000);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout.toString(), 'a line from the client\n');
    assert.equal(cli.stdout.toString(), 'Hello\n');
  });
}

test('TCP: ours client with a regular file on stdin sends it whole (SHA-256) to the real listener', { skip, timeout: 60_000 }, async (t) => {
  const { mkdtempSync, openSync, closeSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { spawn } = await import('node:child_process');
  const { repoRoot } = await import('../support/env.js');
  const procs = new Procs(t);
  const dir = mkdtempSync(join(tmpdir(), `tw-ncat-${process.pid}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'data.bin');
  const data = randomBytes((3 << 20) + 12345);
  writeFileSync(file, data);
  const { proc: srv, port } = await procs.listener('real', (p) => ['-v', '-l', '127.0.0.1', String(p)]);
  const fd = openSync(file, 'r');
  const cli = spawn(process.execPath, [join(repoRoot, 'bin', 'tracewire.js'), 'ncat', '127.0.0.1', String(port)], { stdio: [fd, 'ignore', 'inherit'] });
  closeSync(fd);
  t.after(() => {
    if (cli.exitCode === null) cli.kill('SIGKILL');
  });
  const s = await srv.finished(40_000);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(sha256(s.stdout), sha256(data));
  const code = await new Promise<number | null>((resolve) => cli.on('close', resolve));
  assert.equal(code, 0);
});
