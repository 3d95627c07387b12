/**
 * UDP interoperability with Debian's real ncat 7.93 on loopback (IPv4 and IPv6): the
 * listener adopts the first sender as its peer and both talk both ways; stdin's end ends
 * a client but not a listener; an ICMP port-unreachable is `Connection refused`, status
 * 1; and `-k` with `-c` serves one peer after another.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { needsCommands } from '../support/env.js';
import { freePort, KINDS, Procs, sha256, sleep, type NcatKind } from './support.js';

const skip = needsCommands('ncat');
const PAIRS: ReadonlyArray<{ server: NcatKind; client: NcatKind }> = [
  { server: 'ours', client: 'real' },
  { server: 'real', client: 'ours' },
];

for (const { server, client } of PAIRS) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`UDP ${host}: ${server} listener ⇄ ${client} client exchange datagrams both ways`, { skip, timeout: 30_000 }, async (t) => {
      const procs = new Procs(t);
      const { proc: srv, port } = await procs.listener(server, (p) => ['-v', '-u', '-l', host, String(p)], 'udp', host);
      const cli = procs.start(client, ['-u', host, String(port)]);
      cli.write('hello from the client\n');
      await srv.stdoutLength(22, 10_000);
      assert.match(srv.stderr, new RegExp(`Ncat: Connection from ${host.replace(/\./g, '\\.')}\\.\\n`));
      srv.write('hello from the server\n');
      await cli.stdoutLength(22, 10_000);
      // Binary payload in the client → server direction, a few 8 KiB datagrams.
      const data = randomBytes(24 * 1024);
      cli.write(data);
      await srv.stdoutLength(22 + data.length, 10_000);
      assert.equal(sha256(srv.stdout.subarray(22)), sha256(data));
      cli.endInput();
      const c = await cli.finished(10_000);
      assert.equal(c.code, 0, c.stderr);
      assert.equal(c.stdout.toString(), 'hello from the server\n');
      // UDP carries no end-of-file: the listener is still there, even after its stdin ends.
      srv.endInput();
      await sleep(200);
      assert.ok(srv.running, 'a UDP listener does not end with its peer or its stdin');
    });
  }
}

for (const kind of KINDS) {
  test(`UDP: ${kind} client to a port nobody listens on fails with "Connection refused", status 1`, { skip, timeout: 20_000 }, async (t) => {
    const procs = new Procs(t);
    const port = await freePort('udp');
    const cli = procs.start(kind, ['-u', '127.0.0.1', String(port)]);
    cli.write('anyone?\n');
    const c = await cli.finished(10_000);
    assert.equal(c.code, 1);
    assert.equal(c.stderr, 'Ncat: Connection refused.\n');
  });
}

test('UDP: ours -u -k -l -c serves one peer after another, listening again each time', { skip, timeout: 30_000 }, async (t) => {
  const procs = new Procs(t);
  const { proc: srv, port } = await procs.listener('ours', (p) => ['-v', '-u', '-k', '-l', '127.0.0.1', String(p), '-c', 'read line; echo "echo:$line"']);
  for (const name of ['one', 'two']) {
    const cli = procs.start('real', ['-u', '127.0.0.1', String(port)]);
    cli.write(`${name}\n`);
    const out = await cli.stdoutLength(`echo:${name}\n`.length, 10_000);
    assert.equal(out.toString(), `echo:${name}\n`);
    cli.endInput();
    assert.equal((await cli.finished(10_000)).code, 0);
  }
  assert.equal(srv.stderr.match(/Listening on 127\.0\.0\.1:\d+\n/g)?.length, 3, srv.stderr);
  assert.equal(srv.stderr.match(/Connection from 127\.0\.0\.1\.\n/g)?.length, 2, srv.stderr);
  assert.ok(srv.running);
});
