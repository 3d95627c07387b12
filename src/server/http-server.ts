/**
 * The HTTP layer of `tracewire ui`: a tiny router over node:http serving the JSON API
 * and the built single-page app (web/dist). It binds to 127.0.0.1 unless told
 * otherwise, answers only GET/HEAD, and checks the Host header so a web page elsewhere
 * cannot read the API through DNS rebinding.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TracewireError } from '../base/errors.js';
import { toJson } from '../base/json.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type RouteHandler = (params: Record<string, string>, query: URLSearchParams, req: IncomingMessage, res: ServerResponse) => Promise<unknown> | unknown;

interface Route {
  readonly parts: string[];
  readonly handler: RouteHandler;
}

/** Routes like `/api/packets/:id`; a handler's return value is sent as JSON. */
export class Router {
  private readonly routes: Route[] = [];

  get(pattern: string, handler: RouteHandler): this {
    this.routes.push({ parts: pattern.split('/').filter(Boolean), handler });
    return this;
  }

  match(path: string): { handler: RouteHandler; params: Record<string, string> } | null {
    const segs = path.split('/').filter(Boolean);
    for (const r of this.routes) {
      if (r.parts.length !== segs.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < segs.length; i++) {
        const p = r.parts[i]!;
        if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(segs[i]!);
        else if (p !== segs[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { handler: r.handler, params };
    }
    return null;
  }
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** web/dist of this package (src/server and dist/server are both two levels below the root). */
export function defaultWebRoot(): string {
  return resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'web', 'dist');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = toJson(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(text);
}

function serveStatic(webRoot: string, path: string, req: IncomingMessage, res: ServerResponse): void {
  let rel = normalize(decodeURIComponent(path)).replace(/^([/\\])+/, '');
  if (rel === '' || rel === '.') rel = 'index.html';
  let file = join(webRoot, rel);
  if (!file.startsWith(webRoot + sep) && file !== webRoot) {
    res.writeHead(403).end();
    return;
  }
  // Client-side routes fall back to the app.
  if (!existsSync(file) || statSync(file).isDirectory()) file = join(webRoot, 'index.html');
  if (!existsSync(file)) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('web UI not built: run `npm run build`\n');
    return;
  }
  const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
  const immutable = file.includes(`${sep}assets${sep}`);
  res.writeHead(200, {
    'content-type': type,
    'content-length': statSync(file).size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  });
  if (req.method === 'HEAD') res.end();
  else createReadStream(file).pipe(res);
}

export interface HttpServerOptions {
  readonly router: Router;
  readonly webRoot: string;
  /** Host names (without port) accepted in the Host header. */
  readonly allowedHosts: (host: string) => boolean;
}

/** Creates (does not start) the HTTP server. */
export function createHttpServer(opts: HttpServerOptions): Server {
  return createServer((req, res) => {
    void handle(opts, req, res);
  });
}

async function handle(opts: HttpServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    if (!opts.allowedHosts(hostHeader)) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('forbidden host\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      const m = opts.router.match(url.pathname);
      if (!m) throw new HttpError(404, `no API endpoint ${url.pathname}`);
      const body = await m.handler(m.params, url.searchParams, req, res);
      if (!res.headersSent && !res.writableEnded) sendJson(res, 200, body);
      return;
    }
    serveStatic(opts.webRoot, url.pathname, req, res);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : err instanceof TracewireError ? 400 : 500;
    if (!res.headersSent) sendJson(res, status, { error: (err as Error).message ?? String(err) });
    else res.end();
  }
}
