#!/usr/bin/env node
// Traffic generators for the packet tests, run inside the tests' own network namespaces
// (`ip netns exec NS node workload.mjs MODE ...`). Every mode is bounded in count and
// time and exits by itself; servers print "ready" once listening.
//
//   tcp-server HOST PORT CONNS [pause-ms] [server-closes]   accept CONNS connections; echo
//                                             each one's data; with pause-ms, stop reading
//                                             each connection that long first (zero window)
//   tcp-bulk   HOST PORT BYTES                send BYTES on one connection, then close
//   tcp-short  HOST PORT COUNT [LOCALPORT]    COUNT request/response connections (a fixed
//                                             LOCALPORT makes the ports be reused)
//   tcp-idle   HOST PORT IDLE-MS              one connection with keep-alive, idle IDLE-MS
//   udp-server HOST PORT COUNT                echo COUNT datagrams
//   udp-client HOST PORT COUNT CLOSEDPORT     COUNT datagrams of growing size (some need
//                                             fragmentation) and one to a closed port
import { Buffer } from 'node:buffer';
import dgram from 'node:dgram';
import net from 'node:net';
import { setImmediate, setTimeout } from 'node:timers';

const [mode, host, portText, ...rest] = process.argv.slice(2);
const port = Number(portText);
const HARD_LIMIT_MS = 60_000;
setTimeout(() => {
  process.stderr.write(`workload ${mode}: time limit reached\n`);
  process.exit(3);
}, HARD_LIMIT_MS).unref();

function done(code = 0) {
  setTimeout(() => process.exit(code), 50);
}

switch (mode) {
  case 'tcp-server': {
    const conns = Number(rest[0]);
    const pauseMs = Number(rest[1] ?? 0);
    const serverCloses = rest[2] === 'server-closes';
    let seen = 0;
    let closed = 0;
    const server = net.createServer((sock) => {
      seen++;
      if (seen >= conns) server.close();
      if (pauseMs > 0) {
        sock.pause();
        setTimeout(() => sock.resume(), pauseMs);
      }
      sock.on('data', (d) => {
        if (serverCloses) sock.end(d.subarray(0, 16));
        else if (d.length <= 64) sock.write(d);
      });
      sock.on('end', () => sock.end());
      sock.on('error', () => {});
      sock.on('close', () => {
        if (++closed >= conns) done();
      });
    });
    server.listen(port, host, () => process.stdout.write('ready\n'));
    break;
  }
  case 'tcp-bulk': {
    const total = Number(rest[0]);
    const sock = net.connect({ host, port }, () => {
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          const n = Math.min(chunk.length, total - sent);
          sent += n;
          if (!sock.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void sock.once('drain', pump);
        }
        sock.end();
      };
      pump();
    });
    sock.on('data', () => {});
    sock.on('close', () => done());
    sock.on('error', (e) => {
      process.stderr.write(`tcp-bulk: ${e.message}\n`);
      done(1);
    });
    break;
  }
  case 'tcp-short': {
    const count = Number(rest[0]);
    const localPort = rest[1] ? Number(rest[1]) : undefined;
    let i = 0;
    // A reused 4-tuple can be refused while the server's side is still in TIME_WAIT: such
    // an attempt is tried again (bounded), so the server sees exactly COUNT connections.
    let retries = 0;
    const errors = new Map();
    const next = () => {
      if (i >= count) return done();
      i++;
      let connected = false;
      let failed = false;
      const sock = net.connect({ host, port, localPort }, () => {
        connected = true;
        sock.write(`request ${i}\n`);
      });
      // With a fixed local port the server must close first: the side that closes first
      // keeps the 4-tuple in TIME_WAIT, and a client port in TIME_WAIT cannot connect to
      // the same server again for 60 s. So that client never ends on data; it answers the
      // server's FIN (Node ends a socket when its peer does). Ending on data raced with
      // the server's FIN when data and FIN came in separate segments (a loaded machine).
      sock.on('data', () => {
        if (!localPort) sock.end();
      });
      // only a connection that never opened is tried again (the server did not count it)
      sock.on('error', (e) => {
        failed = !connected;
        errors.set(e.code ?? e.message, (errors.get(e.code ?? e.message) ?? 0) + 1);
      });
      sock.on('close', () => {
        if (failed) {
          if (++retries > 200) {
            process.stderr.write(`tcp-short: connection ${i} of ${count} not made after ${retries - 1} attempts; errors: ${JSON.stringify(Object.fromEntries(errors))}\n`);
            return done(1);
          }
          i--;
        }
        // A fixed local port must wait for the server's close before it can be bound again.
        if (localPort) setTimeout(next, failed ? 100 : 20);
        else setImmediate(next);
      });
    };
    next();
    break;
  }
  case 'tcp-idle': {
    const idleMs = Number(rest[0]);
    const sock = net.connect({ host, port }, () => {
      sock.setKeepAlive(true, 1000);
      sock.write('hello\n');
      setTimeout(() => sock.end(), idleMs);
    });
    sock.on('data', () => {});
    sock.on('close', () => done());
    sock.on('error', () => done(1));
    break;
  }
  case 'udp-server': {
    const count = Number(rest[0]);
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let n = 0;
    s.on('message', (msg, from) => {
      s.send(msg.subarray(0, 32), from.port, from.address, () => {
        if (++n >= count) {
          s.close();
          done();
        }
      });
    });
    s.bind(port, host, () => process.stdout.write('ready\n'));
    break;
  }
  case 'udp-client': {
    const count = Number(rest[0]);
    const closedPort = Number(rest[1]);
    const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let replies = 0;
    s.on('message', () => {
      if (++replies >= count) finish();
    });
    const finish = () => {
      s.send(Buffer.from('nobody listens here'), closedPort, host, () => setTimeout(() => (s.close(), done()), 200));
    };
    let i = 0;
    const sendNext = () => {
      if (i >= count) return;
      i++;
      // Every fifth datagram is bigger than the MTU and leaves as IP fragments.
      const size = i % 5 === 0 ? 3000 + i : 40 + i;
      s.send(Buffer.alloc(size, i & 0xff), port, host, () => setTimeout(sendNext, 2));
    };
    s.bind(0, () => sendNext());
    setTimeout(finish, 10_000).unref();
    break;
  }
  default:
    process.stderr.write(`workload: unknown mode ${mode}\n`);
    process.exit(2);
}
