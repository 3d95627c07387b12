#!/usr/bin/env node
// The seed experiment as a workload for `tracewire record`: an ncat server listening in
// one network namespace, an ncat client connecting from another, "Hello" typed on the
// server side, a line typed on the client side, then the client disconnects.
//
//   node seed-workload.mjs SERVER_NS CLIENT_NS SERVER_ADDR PORT [NCAT...]
//
// NCAT is the ncat command line to run (default: Debian's `ncat`); the UI tests pass
// `node bin/tracewire.js ncat`, whose server accepts with accept4 like the seed's.
// Bounded: every step has a deadline and the whole run stops after 20 s. Both ncat
// processes are ours (tracked by PID) and are killed on every path.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { setTimeout } from 'node:timers';

const [serverNs, clientNs, addr, port, ...ncatCmd] = process.argv.slice(2);
const ncat = ncatCmd.length ? ncatCmd : ['ncat'];
if (!serverNs || !clientNs || !addr || !port) {
  process.stderr.write('usage: seed-workload.mjs SERVER_NS CLIENT_NS SERVER_ADDR PORT\n');
  process.exit(2);
}
const children = [];
const killAll = () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
};
setTimeout(() => {
  process.stderr.write('seed-workload: time limit reached\n');
  killAll();
  process.exit(3);
}, 20_000).unref();

function start(ns, args) {
  const c = spawn('ip', ['netns', 'exec', ns, ...ncat, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(c);
  c.out = '';
  c.stdout.on('data', (d) => (c.out += d));
  c.stderr.on('data', () => {});
  c.stdin.on('error', () => {});
  c.exited = new Promise((r) => c.on('close', r));
  return c;
}

async function until(what, cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`seed-workload: timed out waiting for ${what}`);
    await sleep(20);
  }
}

try {
  const server = start(serverNs, ['--listen', addr, port]);
  // Wait until the server listens (the client retries a few times if it is early).
  let client;
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    client = start(clientNs, [addr, port]);
    const res = await Promise.race([client.exited.then(() => 'exit'), sleep(300).then(() => 'up')]);
    if (res === 'up') break;
    client = undefined;
  }
  if (!client) throw new Error('seed-workload: client could not connect');
  await sleep(200);
  server.stdin.write('Hello\n');
  await until('Hello at the client', () => client.out.includes('Hello'));
  await sleep(200);
  client.stdin.write('hi from the client\n');
  await until('the client line at the server', () => server.out.includes('hi from the client'));
  await sleep(200);
  client.kill('SIGINT');
  await Promise.race([server.exited, sleep(3000)]);
  await sleep(100);
  killAll();
  process.stdout.write('seed-workload: done\n');
} catch (err) {
  killAll();
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
