import { execFileSync } from 'node:child_process';
import { request as httpRequest, Agent as HttpAgent, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What the original clients put on the wire, byte for byte: Python's json.dumps, the header
 * sets and orders of aiohttp, requests and curl, their timeouts and their status rules.
 */

/** Python's json.dumps(value) with its defaults: separators (', ', ': ') and ensure_ascii. */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : value > 0 ? 'Infinity' : Number.isNaN(value) ? 'NaN' : '-Infinity';
  // ensure_ascii: everything outside space..tilde is escaped, DEL and astral pairs included.
  if (typeof value === 'string') return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(value)) return `[${value.map(pythonJsonDumps).join(', ')}]`;
  return `{${Object.entries(value as Record<string, unknown>)
    .map(([k, v]) => `${pythonJsonDumps(k)}: ${pythonJsonDumps(v)}`)
    .join(', ')}}`;
}

export interface WireResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

export interface WireRequest {
  method: string;
  url: string;
  /** In the order the client sends them, with its spelling; Host comes first, from the URL. */
  headers: [string, string][];
  body?: string | Buffer;
  /** The client's own limit for the whole exchange; past it the request is abandoned. */
  timeoutMs?: number;
  /** false: a connection of its own, as a client without a session opens. */
  agent?: HttpAgent | HttpsAgent | false;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean };
}

/** Sends exactly the given request line, headers and body, and times the whole exchange. */
export function send(req: WireRequest): Promise<WireResponse> {
  const url = new URL(req.url);
  const started = performance.now();
  const raw: string[] = ['Host', url.host];
  for (const [name, value] of req.headers) raw.push(name, value);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const options = {
    method: req.method,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port,
    path: `${url.pathname}${url.search}`,
    headers: raw,
    setHost: false,
    agent: req.agent,
    ...(url.protocol === 'https:' ? { ca: req.tls?.ca, cert: req.tls?.cert, key: req.tls?.key, rejectUnauthorized: req.tls?.rejectUnauthorized ?? true, servername: 'localhost' } : {}),
  };
  return new Promise((resolve, reject) => {
    const client = (url.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
      res.on('error', reject);
    });
    client.on('error', reject);
    if (req.timeoutMs !== undefined) {
      const timeoutMs = req.timeoutMs;
      client.setTimeout(timeoutMs, () => client.destroy(new Error(`the client's ${timeoutMs} ms timeout passed`)));
    }
    client.end(body);
  });
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Credentials in a URL (`scheme://user:key@host/...`) as Python clients turn them into Basic auth. */
function urlCredentials(url: URL): [string, string][] {
  if (url.username === '' && url.password === '') return [];
  return [['Authorization', basic(decodeURIComponent(url.username), decodeURIComponent(url.password))]];
}

function withoutCredentials(url: URL): string {
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.toString();
}

/**
 * The network-monitor-client's submitter (aiohttp): one ClientSession, so one kept-alive
 * connection; `GET <url>` with a 1 s timeout that must answer exactly 200, else the client
 * writes to local files for good; then each packet as `session.post(url, json=packet,
 * timeout=1)`, a failure being any status of 400 or more (raise_for_status). Credentials
 * can only travel in the URL, which aiohttp sends as Basic.
 */
export class SnifferClient {
  readonly url: URL;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly tls: WireRequest['tls'];
  storage: 'remote' | 'local' = 'remote';

  constructor(url: string, tls?: WireRequest['tls']) {
    this.url = new URL(url);
    this.tls = tls;
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true, ...tls }) : new HttpAgent({ keepAlive: true });
  }

  private headers(): [string, string][] {
    return [
      ['Accept', '*/*'],
      ['Accept-Encoding', 'gzip, deflate'],
      ['User-Agent', 'Python/3.8 aiohttp/3.7.4.post0'],
      ...urlCredentials(this.url),
    ];
  }

  /** `_configure_session`: true when the server may be used. */
  async liveness(): Promise<WireResponse> {
    const response = await send({ method: 'GET', url: withoutCredentials(this.url), headers: this.headers(), timeoutMs: 1000, agent: this.agent, tls: this.tls });
    if (response.status !== 200) this.storage = 'local';
    return response;
  }

  /** `_remote_storage`: stamps Info.Submitted_Timestamp as the client does, then posts. */
  async submit(packet: Record<string, unknown>): Promise<WireResponse> {
    const info = packet.Info as Record<string, unknown>;
    info.Submitted_Timestamp = Date.now() / 1000;
    const body = pythonJsonDumps(packet);
    const response = await send({
      method: 'POST',
      url: withoutCredentials(this.url),
      headers: [...this.headers(), ['Content-Length', String(Buffer.byteLength(body))], ['Content-Type', 'application/json']],
      body,
      timeoutMs: 1000,
      agent: this.agent,
      tls: this.tls,
    });
    // raise_for_status(): the client changes to local files and stays there.
    if (response.status >= 400) this.storage = 'local';
    return response;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** A packet as the client builds it: its layers in parse order, AF_Packet last, then Info. */
export function snifferPacket(sample: Record<string, unknown>, size: number): Record<string, unknown> {
  const { AF_Packet, Info: _info, ...layers } = sample;
  const sniffed = Date.now() / 1000;
  return { ...layers, AF_Packet, Info: { Sniffed_Timestamp: sniffed, Processed_Timestamp: sniffed + 0.0003, Size: size } };
}

/** python-requests' headers (a new Session per module-level call) before the caller's own. */
export function requestsHeaders(extra: [string, string][] = []): [string, string][] {
  const base: [string, string][] = [
    ['User-Agent', 'python-requests/2.32.3'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
  ];
  for (const [name, value] of extra) {
    const at = base.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (at === -1) base.push([name, value]);
    else base[at] = [base[at]?.[0] ?? name, value];
  }
  return base;
}

/**
 * A python-requests call: `requests.<method>(url, data=..., headers=...)` or `json=...`
 * (json.dumps, then Content-Length and a Content-Type it adds itself), Basic from URL
 * credentials added last. Each call is a new session: a new connection.
 */
export function requestsCall(
  method: 'GET' | 'POST',
  url: string,
  options: { body?: string; json?: unknown; headers?: [string, string][]; tls?: WireRequest['tls'] } = {},
): Promise<WireResponse> {
  const parsed = new URL(url);
  const headers = requestsHeaders(options.headers);
  const body = options.json !== undefined ? pythonJsonDumps(options.json) : options.body;
  if (body !== undefined) headers.push(['Content-Length', String(Buffer.byteLength(body))]);
  if (options.json !== undefined && !headers.some(([name]) => name.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
  headers.push(...urlCredentials(parsed));
  return send({ method, url: withoutCredentials(parsed), headers, body, tls: options.tls, agent: false });
}

/** curl's request: `curl [-u user:key] [-H ...] --data-binary @file url` (curl 8). */
export function curlCall(method: 'GET' | 'POST', url: string, options: { body?: string | Buffer; headers?: [string, string][]; user?: string; tls?: WireRequest['tls'] } = {}): Promise<WireResponse> {
  const headers: [string, string][] = [];
  if (options.user !== undefined) {
    const colon = options.user.indexOf(':');
    headers.push(['Authorization', basic(options.user.slice(0, colon), options.user.slice(colon + 1))]);
  }
  headers.push(['User-Agent', 'curl/8.5.0'], ['Accept', '*/*'], ...(options.headers ?? []));
  if (options.body !== undefined) headers.push(['Content-Length', String(Buffer.byteLength(options.body))]);
  return send({ method, url, headers, body: options.body, tls: options.tls, agent: false });
}

/** Certificates made with the openssl CLI for a test: a CA and client certificates it signs. */
export interface TestPki {
  dir: string;
  caFile: string;
  ca: Buffer;
  client(cn: string, options?: { o?: string }): { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
}

const OPENSSL = process.env.OPENSSL ?? '/usr/bin/openssl';
const OPENSSL_CONFIG = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[client]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
authorityKeyIdentifier = keyid
`;

function openssl(dir: string, args: string[]): void {
  execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** A fresh CA (P-256, valid two days) named `caName`, in a temporary directory. */
export function createTestPki(caName: string): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'netingest-pki-'));
  writeFileSync(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key']);
  openssl(dir, ['req', '-x509', '-new', '-config', 'openssl.cnf', '-extensions', 'ca', '-key', 'ca.key', '-subj', `/CN=${caName}`, '-days', '2', '-sha256', '-out', 'ca.pem']);
  let serial = 0x1000;
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    ca: readFileSync(join(dir, 'ca.pem')),
    client(cn, options = {}) {
      const name = cn.replace(/[^\w.-]/g, '_');
      serial += 1;
      openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
      openssl(dir, ['req', '-new', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', `/O=${options.o ?? 'netingest tests'}/CN=${cn}`, '-out', `${name}.csr`]);
      openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${serial.toString(16)}`, '-days', '2', '-sha256', '-extfile', 'openssl.cnf', '-extensions', 'client', '-out', `${name}.pem`]);
      const certFile = join(dir, `${name}.pem`);
      const keyFile = join(dir, `${name}.key`);
      return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
    },
  };
}
