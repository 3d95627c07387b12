#!/usr/bin/env node
// Bounded loopback traffic for bench/packets.ts, run inside the bench's own network
// namespace: CONNS connections each doing ROUNDS request/response exchanges of small
// messages (one packet each way, Nagle off), plus a couple of bulk transfers.
//
//   node packets-workload.mjs PORT CONNS ROUNDS
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { setTimeout } from 'node:timers';

const [portText, connsText, roundsText] = process.argv.slice(2);
const port = Number(portText);
const conns = Number(connsText);
const rounds = Number(roundsText);
setTimeout(() => {
  process.stderr.write('packets-workload: time limit reached\n');
  process.exit(3);
}, 120_000).unref();

const request = Buffer.alloc(64, 0x71);
const reply = Buffer.alloc(48, 0x72);

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  sock.on('data', (d) => {
    // Bulk streams send big chunks: acknowledge with nothing; small requests get a reply each.
    if (d.length <= 64 * 4) for (let i = 0; i < d.length; i += 64) sock.write(reply);
  });
  sock.on('end', () => sock.end());
  sock.on('error', () => {});
});

let finished = 0;
const total = conns + 2;
function done() {
  if (++finished === total) {
    server.close();
    setTimeout(() => process.exit(0), 50);
  }
}

function pingPong() {
  const sock = net.connect({ host: '127.0.0.1', port }, () => {
    sock.setNoDelay(true);
    let left = rounds;
    let pending = 0;
    sock.on('data', (d) => {
      pending += d.length;
      while (pending >= reply.length) {
        pending -= reply.length;
        if (--left <= 0) return void sock.end();
        sock.write(request);
      }
    });
    sock.write(request);
  });
  sock.on('close', done);
  sock.on('error', done);
}

function bulk(bytes) {
  const sock = net.connect({ host: '127.0.0.1', port }, () => {
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
      sock.end();
    };
    pump();
  });
  sock.on('close', done);
  sock.on('error', done);
}

server.listen(port, '127.0.0.1', () => {
  for (let i = 0; i < conns; i++) pingPong();
  bulk(32 << 20);
  bulk(32 << 20);
});
