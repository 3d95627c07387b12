// Starts a TypeScript worker module when the server runs from its sources under tsx (the
// tests): Node does not hand `--import tsx` to worker threads, so the worker registers
// tsx itself, then loads the module named in workerData. The built server (dist/) runs
// its .js worker directly and never loads this file.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__module);
