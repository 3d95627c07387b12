#!/usr/bin/env node
// The recorder bench's workload: N sequential TCP connect / send / close cycles on
// loopback, client and server in this one process (the server reads each connection to
// its end). Prints {"cycles": N, "seconds": S} on stdout. Bounded: N cycles, and it gives
// up after 120 s.
//
//   node bench/record-workload.mjs [CYCLES] [PORT]
import net from 'node:net';
import { Buffer } from 'node:buffer';
import { setTimeout, clearTimeout } from 'node:timers';

const cycles = Number(process.argv[2] ?? 20000);
const port = Number(process.argv[3] ?? 0);
const payload = Buffer.alloc(100, 0x61);
const deadline = setTimeout(() => {
  process.stderr.write('record-workload: gave up after 120 s\n');
  process.exit(1);
}, 120_000);

const server = net.createServer((sock) => {
  sock.on('data', () => {});
  sock.on('end', () => sock.end());
  sock.on('error', () => {});
});
await new Promise((r) => server.listen(port, '127.0.0.1', r));
const { port: bound } = server.address();

function cycle() {
  return new Promise((resolve, reject) => {
    const c = net.connect(bound, '127.0.0.1', () => {
      c.end(payload);
    });
    c.on('data', () => {});
    c.on('close', resolve);
    c.on('error', reject);
  });
}

const t0 = process.hrtime.bigint();
for (let i = 0; i < cycles; i++) await cycle();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
server.close();
clearTimeout(deadline);
process.stdout.write(`${JSON.stringify({ cycles, seconds })}\n`);
