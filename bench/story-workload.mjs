#!/usr/bin/env node
// The story bench's workload, on loopback only: N short TCP connections (connect, send
// 100 bytes, close; the server reads each to its end and closes too), then one bulk
// transfer of M MiB through a single connection. Client and server live in this one
// process. Bounded: N cycles, M MiB, and it gives up after 120 s.
// Prints {"cycles": N, "bulkMiB": M, "seconds": S} on stdout.
//
//   node bench/story-workload.mjs [CYCLES] [BULK_MIB]
import net from 'node:net';
import { Buffer } from 'node:buffer';
import { setTimeout, clearTimeout } from 'node:timers';

const cycles = Number(process.argv[2] ?? 3000);
const bulkMiB = Number(process.argv[3] ?? 32);
const payload = Buffer.alloc(100, 0x61);
const deadline = setTimeout(() => {
  process.stderr.write('story-workload: gave up after 120 s\n');
  process.exit(1);
}, 120_000);

let bulkReceived = 0;
const server = net.createServer((sock) => {
  sock.on('data', (d) => {
    bulkReceived += d.length;
  });
  sock.on('end', () => sock.end());
  sock.on('error', () => {});
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();

function cycle() {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, '127.0.0.1', () => c.end(payload));
    c.on('data', () => {});
    c.on('close', resolve);
    c.on('error', reject);
  });
}

function bulk(bytes) {
  return new Promise((resolve, reject) => {
    const chunk = Buffer.alloc(256 * 1024, 0x62);
    let left = bytes;
    const c = net.connect(port, '127.0.0.1', () => {
      const pump = () => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!c.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return c.once('drain', pump);
        }
        c.end();
      };
      pump();
    });
    c.on('data', () => {});
    c.on('close', resolve);
    c.on('error', reject);
  });
}

const t0 = process.hrtime.bigint();
for (let i = 0; i < cycles; i++) await cycle();
bulkReceived = 0;
if (bulkMiB > 0) await bulk(bulkMiB * 1024 * 1024);
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
server.close();
clearTimeout(deadline);
process.stdout.write(`${JSON.stringify({ cycles, bulkMiB, seconds, bulkReceived })}\n`);
