/**
 * tracewire ncat against Debian's ncat 7.93, in one run: TCP throughput over loopback
 * (a 256 MiB file from client to listener, both sides the same implementation, best of
 * three) and the cost of one short run (start, connect refused, exit). Prints MB/s, ms
 * and the ratios ours/real.
 *
 *   node --import tsx bench/ncat.ts [MiB]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'bench', 'output');
const mib = Number(process.argv[2] ?? 256);
type Kind = 'ours' | 'real';

function command(kind: Kind, args: string[]): [string, string[]] {
  // ours as users run it: the `tracewire` command (bin/tracewire.js through /bin/sh)
  return kind === 'ours' ? [join(root, 'bin', 'tracewire.js'), ['ncat', ...args]] : ['ncat', args];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function run(kind: Kind, args: string[], stdio: ['ignore' | number, 'ignore' | number, 'pipe' | 'ignore']): { done: Promise<number>; stderr: () => string } {
  const [cmd, argv] = command(kind, args);
  const child = spawn(cmd, argv, { stdio });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const done = new Promise<number>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve(code ?? 128);
  }));
  return { done, stderr: () => err };
}

async function transfer(kind: Kind, file: string): Promise<number> {
  const port = await freePort();
  const server = run(kind, ['-v', '-l', '127.0.0.1', String(port)], ['ignore', 'ignore', 'pipe']);
  const deadline = Date.now() + 5000;
  while (!/Listening on/.test(server.stderr())) {
    if (Date.now() > deadline) throw new Error(`${kind} listener did not start: ${server.stderr()}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  const fd = openSync(file, 'r');
  const start = process.hrtime.bigint();
  const client = run(kind, ['127.0.0.1', String(port)], [fd, 'ignore', 'ignore']);
  const [c, s] = await Promise.all([client.done, server.done]);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(fd);
  if (c !== 0 || s !== 0) throw new Error(`${kind}: client ${c}, server ${s}`);
  return statSync(file).size / 1e6 / seconds;
}

async function shortRuns(kind: Kind, count: number): Promise<number> {
  const port = await freePort();
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await run(kind, ['127.0.0.1', String(port)], ['ignore', 'ignore', 'ignore']).done;
  return Number(process.hrtime.bigint() - start) / 1e6 / count;
}

mkdirSync(outDir, { recursive: true });
const file = join(outDir, `ncat-${mib}MiB.bin`);
if (!existsSync(file) || statSync(file).size !== mib << 20) {
  const fd = openSync(file, 'w');
  const block = randomBytes(1 << 20);
  for (let i = 0; i < mib; i++) writeSync(fd, block);
  closeSync(fd);
}

const best: Record<Kind, number> = { ours: 0, real: 0 };
for (let round = 0; round < 3; round++) {
  for (const kind of ['real', 'ours'] as const) best[kind] = Math.max(best[kind], await transfer(kind, file));
}
const startup: Record<Kind, number> = { ours: await shortRuns('ours', 20), real: await shortRuns('real', 20) };
console.log(`TCP loopback transfer, ${mib} MiB, best of 3:  ours ${best.ours.toFixed(0)} MB/s   real ncat ${best.real.toFixed(0)} MB/s   ratio ours/real ${(best.ours / best.real).toFixed(2)}`);
console.log(`one short run (start, refused, exit):       ours ${startup.ours.toFixed(1)} ms   real ncat ${startup.real.toFixed(1)} ms   ratio ours/real ${(startup.ours / startup.real).toFixed(2)}`);
