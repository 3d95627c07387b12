/**
 * Worker thread running the packet ↔ kernel correlation and the story, which are long
 * synchronous passes: off the server's thread, the UI keeps answering (and showing
 * progress) while they run. Protocol: the parent passes `{ paths, base }` as workerData;
 * the worker posts `{ op: 'ready', info }` (or `{ op: 'failed', error }`), then answers
 * `{ id, method, args }` with `{ id, result }` or `{ id, error, usage }`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError, UsageError } from '../base/errors.js';
import { analyze } from '../analysis/story/index.js';
import { buildDataset } from '../bundle/index.js';
import { CorrelationCore, type ConversationKey } from './correlation-core.js';

const { paths, base } = workerData as { paths: string[]; base: string };
const port = parentPort!;

try {
  const core = new CorrelationCore(analyze(buildDataset(paths)), BigInt(base));
  const methods: Record<string, (...args: never[]) => unknown> = {
    packetLinks: (n: number) => core.packetLinks(n),
    sockets: (convs: ConversationKey[]) => core.sockets(convs),
    flowSteps: (conv: ConversationKey) => core.flowSteps(conv),
    ownerOf: (addr: string, p: number) => core.ownerOf(addr, p),
    story: (conn: string | null) => core.story(conn),
  };
  port.on('message', (m: { id: number; method: string; args: unknown[] }) => {
    try {
      const fn = methods[m.method];
      if (!fn) throw new Error(`no method ${m.method}`);
      port.postMessage({ id: m.id, result: fn(...(m.args as never[])) });
    } catch (err) {
      port.postMessage({ id: m.id, error: describeError(err), usage: err instanceof UsageError });
    }
  });
  port.postMessage({ op: 'ready', info: core.info() });
} catch (err) {
  port.postMessage({ op: 'failed', error: describeError(err) });
}
