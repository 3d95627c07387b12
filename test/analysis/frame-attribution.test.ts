/**
 * Which socket and fd a captured frame belongs to (src/analysis/correlate/frame-side.ts).
 * Found by a CI run of the "ncat -k and six clients" workload: the kernel sent an ACK from
 * inside the server's accept() on its listening fd (acknowledging what had waited on the
 * listener's backlog); the frame was given to the listening socket, fd 3, as if the
 * connection had two fds. A frame sent from inside a syscall on a listening fd belongs to
 * the connection its 4-tuple names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attribute, type SocketLookup } from '../../src/analysis/correlate/frame-side.js';
import type { FdBinding, SocketRecord } from '../../src/analysis/correlate/types.js';

const server = { addr: '10.77.0.1', port: 5000 };
const client = { addr: '10.77.0.2', port: 33074 };

function binding(fd: number, from: bigint): FdBinding {
  return { pid: 42, fd, comm: 'ncat', from, to: null, how: fd === 3 ? 'socket' : 'accept', event: null } as FdBinding;
}

const listener = { id: 1, local: server, remote: null, states: [{ to: 10 }], owners: [binding(3, 10n)], listener: null, firstTs: 10n } as unknown as SocketRecord;
const child = { id: 2, local: server, remote: client, states: [{ to: 1 }], owners: [binding(4, 200n)], listener: 1, firstTs: 90n } as unknown as SocketRecord;

const lookup: SocketLookup = {
  socketOfFdAt: (_pid, fd) => (fd === 3 ? listener : fd === 4 ? child : null),
  socketAtSk: () => null,
  byId: (id) => (id === 1 ? listener : id === 2 ? child : null),
  byEndpoints: (l, r) => (l.port === server.port && r.port === client.port ? [child] : []),
  listenersFor: () => [listener],
};

type Args = Parameters<typeof attribute>;

function attributeSent(fd: number, ts: bigint) {
  const frame = { transport: 'tcp', direction: 'out', src: server.addr, sport: server.port, dst: client.addr, dport: client.port, ts } as unknown as Args[0];
  const side = { anchor: { kind: 'queue' }, journey: null } as unknown as Args[1];
  const d = { origin: { kind: 'syscall', syscall: fd === 3 ? 'accept4' : 'write', fd, tid: 42, pid: 42, comm: 'ncat', entryTs: ts - 5n }, irq: null, softirq: null, stateChanges: [], tcpEvents: [], socketId: null, owner: null, woke: [] } as unknown as Args[2];
  attribute(frame, side, d, lookup);
  return d;
}

test('a segment sent from inside accept() on the listening fd belongs to the connection, not to the listener', () => {
  const d = attributeSent(3, 100n);
  assert.equal(d.socketId, child.id, 'the connection of its 4-tuple');
  // before accept() returns, the connection has no fd yet: the listener's, said as such
  assert.equal(d.owner?.fd, 3);
  assert.match(d.owner!.how, /^listening socket \(before accept\)/);
});

test('a segment a write() on the connection sends is that fd’s', () => {
  const d = attributeSent(4, 300n);
  assert.equal(d.socketId, child.id);
  assert.equal(d.owner?.fd, 4);
  assert.equal(d.owner?.how, 'socket 4-tuple');
});
