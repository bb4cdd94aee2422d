import { createReadStream, existsSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

/** Answers a request itself (true) or leaves it to the API routes (false). */
export type StaticHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

// The page talks to this origin's API and to the WebSocket API on another port.
const HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

/**
 * Serves a built folder (the dashboard's dist) under `prefix` for GET and HEAD: `prefix`
 * redirects to `prefix/`, which is index.html; hashed files under assets/ are cached for
 * good, the rest revalidated. Paths that leave the folder are 404; a folder not built yet
 * is 503 naming the command that builds it.
 */
export function staticFiles(prefix: string, folder: string, buildCommand: string): StaticHandler {
  const root = resolve(folder);
  return (req, res, url) => {
    const path = url.pathname;
    if (path !== prefix && !path.startsWith(`${prefix}/`)) return false;
    const method = (req.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'GET or HEAD only\n', { allow: 'GET, HEAD' });
      return true;
    }
    if (path === prefix) {
      res.writeHead(301, { location: `${prefix}/${url.search}`, ...HEADERS }).end();
      return true;
    }
    if (!existsSync(join(root, 'index.html'))) {
      send(res, 503, 'text/plain; charset=utf-8', `the dashboard is not built: run ${buildCommand}\n`);
      return true;
    }
    let relative: string;
    try {
      relative = decodeURIComponent(path.slice(prefix.length + 1));
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'malformed path\n');
      return true;
    }
    const file = resolve(root, relative === '' ? 'index.html' : relative);
    const stat = file.startsWith(root + sep) && existsSync(file) ? statSync(file) : undefined;
    if (stat === undefined || !stat.isFile()) {
      send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
      return true;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-length': stat.size,
      'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...HEADERS,
    });
    if (method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...HEADERS, ...extra }).end(body);
}
