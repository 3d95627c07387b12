/**
 * `startUiServer(paths, options)`: the server behind `tracewire ui` (and `tracewire
 * demo`). It checks the inputs, starts listening at once (127.0.0.1 and a free port by
 * default), then runs the analyses while the page shows their progress.
 *
 * ```ts
 * const ui = await startUiServer(['out/seed'], { onProgress: (s) => ... });
 * console.log(ui.url);   // http://127.0.0.1:43121/
 * await ui.loaded;       // analyses done (or failed: see progress.error)
 * await ui.close();
 * ```
 */
import type { AddressInfo } from 'node:net';
import { TracewireError } from '../base/errors.js';
import { buildApi } from './api.js';
import { openUiDataset, type UiDataset } from './dataset.js';
import { createHttpServer, defaultWebRoot } from './http-server.js';
import type { ProgressSnapshot } from './api-types.js';
import { ProgressTracker } from './progress.js';

export type { ProgressSnapshot, ProgressTask } from './api-types.js';
export type { UiDataset } from './dataset.js';

export interface UiServerOptions {
  /** Address to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 0: a free port). */
  readonly port?: number;
  /** Directory of the built app (default: this package's web/dist). */
  readonly webRoot?: string;
  /** Called with progress snapshots while the analyses run. */
  readonly onProgress?: (s: ProgressSnapshot) => void;
}

export interface UiServer {
  /** `http://HOST:PORT/` to open in a browser. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataset: UiDataset;
  readonly progress: ProgressTracker;
  /** Settles when the analyses are done (check `progress.snapshot().error`). */
  readonly loaded: Promise<void>;
  close(): Promise<void>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * Validates `paths` (throws a TracewireError naming the bad one), starts the HTTP
 * server and begins loading. Throws a TracewireError when the port is taken or the
 * address cannot be bound.
 */
export async function startUiServer(paths: readonly string[], options: UiServerOptions = {}): Promise<UiServer> {
  const progress = new ProgressTracker();
  if (options.onProgress) progress.listen(options.onProgress);
  const { dataset, load } = openUiDataset(paths, progress);
  const host = options.host ?? '127.0.0.1';
  const router = buildApi(dataset, progress);
  const server = createHttpServer({
    router,
    webRoot: options.webRoot ?? defaultWebRoot(),
    // Loopback names always; the bound address too; any name when bound to all interfaces.
    allowedHosts: (h) => LOOPBACK_NAMES.has(h) || h === host || host === '0.0.0.0' || host === '::',
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? `port ${options.port} is already in use` : err.code === 'EADDRNOTAVAIL' ? `cannot bind to address ${host}` : err.message;
      reject(new TracewireError(`ui: ${why}`));
    });
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const loaded = load();
  return {
    url: `http://${shownHost}:${addr.port}/`,
    host: addr.address,
    port: addr.port,
    dataset,
    progress,
    loaded,
    close: async () => {
      await dataset.analyses.correlation?.close();
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
