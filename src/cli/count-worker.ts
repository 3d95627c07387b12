/**
 * A worker thread of `tracewire events --count` (see parallel-count.ts): opens the same
 * traces, decodes every event of the streams it was given and replies with their counts,
 * or with the error (the main thread then counts on one thread and reports it).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openTraceCollection } from '../ctf/index.js';
import { countStreams } from '../ctf/format/count.js';
import type { WorkerJob, WorkerReply } from './parallel-count.js';

const job = workerData as WorkerJob;
let reply: WorkerReply;
try {
  reply = { counts: countStreams(openTraceCollection([...job.paths]), job.streams) };
} catch (err) {
  reply = { error: err instanceof Error ? err.message : String(err) };
}
parentPort!.postMessage(reply);
