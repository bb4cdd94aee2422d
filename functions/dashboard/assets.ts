import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

/** A file of the dashboard's build as an HTTP answer. */
export interface AssetAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

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

/** Types sent as text; the rest go base64-encoded through API Gateway. */
export const isText = (contentType: string): boolean => /^text\/|json|svg/.test(contentType);

// The page talks to this origin's API and to the WebSocket API, which is another origin.
const PAGE_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'self'; connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
};

const plain = (status: number, text: string): AssetAnswer => ({
  status,
  headers: { 'content-type': 'text/plain; charset=utf-8', ...PAGE_HEADERS },
  body: Buffer.from(text),
});

/**
 * The file at `relative` (URL-encoded, '' for the page) in the built folder `root`: hashed
 * files under assets/ are cached for good, the page is revalidated. Paths that leave the
 * folder are 404; a folder not built is 503 naming the command that builds it.
 */
export function dashboardAsset(root: string, relative: string): AssetAnswer {
  const folder = resolve(root);
  if (!existsSync(resolve(folder, 'index.html'))) return plain(503, 'the dashboard is not built: run npm run build:dashboard\n');
  let name: string;
  try {
    name = decodeURIComponent(relative);
  } catch {
    return plain(400, 'malformed path\n');
  }
  const file = resolve(folder, name === '' ? 'index.html' : name);
  const stat = file.startsWith(folder + sep) && existsSync(file) ? statSync(file) : undefined;
  if (stat === undefined || !stat.isFile()) return plain(404, 'not found\n');
  return {
    status: 200,
    headers: {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': name.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      ...PAGE_HEADERS,
    },
    body: readFileSync(file),
  };
}
