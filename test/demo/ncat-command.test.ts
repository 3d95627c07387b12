/**
 * The demo's own ncat (tracewire ncat behind a link named `ncat`) starts node without
 * NODE_EXTRA_CA_CERTS, like the `tracewire` command: Node 20 would read the CA bundle
 * before the seed's first system call, and the story's start-up step would show it.
 * Node reports a CA file it cannot load on stderr at start-up, so a missing file tells.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { prepareNcat } from '../../src/demo/ncat-command.js';
import { outputDir, runCommand } from '../support/env.js';

test("the demo's ncat starts without reading NODE_EXTRA_CA_CERTS, and is still ncat", async () => {
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = join(outputDir, 'no-such-ca-bundle.pem');
  const ncat = prepareNcat(false);
  try {
    assert.equal(ncat.flavour, 'tracewire');
    assert.equal(ncat.env.NODE_EXTRA_CA_CERTS, undefined);
    const [cmd, ...args] = ncat.argv;
    const r = await runCommand(cmd!, [...args, '--version'], { env: ncat.env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /^Ncat: Version 7\.93/m);
    assert.doesNotMatch(r.stderr, /extra certs/);
    // what node did not read, the commands ncat starts still get, as from the `tracewire` command
    const received: Buffer[] = [];
    const server = createServer((sock) => sock.on('data', (d: Buffer) => received.push(d)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = String((server.address() as AddressInfo).port);
      const shown = await runCommand(cmd!, [...args, '127.0.0.1', port, '--sh-exec', 'printf "%s" "${NODE_EXTRA_CA_CERTS-unset}"'], { env: ncat.env, timeoutMs: 20_000 });
      assert.equal(shown.code, 0, shown.stderr);
    } finally {
      server.close();
    }
    assert.equal(Buffer.concat(received).toString('utf8'), process.env.NODE_EXTRA_CA_CERTS);
    // the same link in this process's environment: node reads the variable (what is spared)
    const plain = await runCommand(cmd!, [...args, '--version']);
    assert.match(plain.stderr, /Ignoring extra certs from `.*no-such-ca-bundle\.pem`/);
  } finally {
    ncat.dispose();
    if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
    else process.env.NODE_EXTRA_CA_CERTS = saved;
  }
});
