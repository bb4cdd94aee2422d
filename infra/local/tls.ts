import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { APIGatewayEventClientCertificate } from 'aws-lambda';

/** The local HTTPS listener's own certificate: self-signed, made once, reused afterwards. */
export interface ServerCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** true when this start created it. */
  created: boolean;
}

export const CERT_FILE = 'localhost-cert.pem';
export const KEY_FILE = 'localhost-key.pem';
/** Names the local listener answers to, so that clients verifying the name accept it. */
const SUBJECT_ALT_NAMES = 'DNS:localhost,IP:127.0.0.1,IP:::1';
/** Renew a while before expiry rather than serve an expired certificate. */
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;

function opensslBinary(): string {
  return process.env.OPENSSL ?? 'openssl';
}

/**
 * The certificate in `dir` (CERT_FILE and KEY_FILE), created with the openssl CLI on first
 * use: RSA 2048, CN=localhost, subjectAltName for localhost, 127.0.0.1 and ::1, valid 825
 * days (the most clients accept for a leaf). Reused while valid for another week; the key
 * is readable by its owner only.
 */
export function ensureServerCertificate(dir: string): ServerCertificate {
  const certFile = resolve(dir, CERT_FILE);
  const keyFile = resolve(dir, KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile)) {
    const cert = readFileSync(certFile);
    const key = readFileSync(keyFile);
    if (usable(cert)) return { certFile, keyFile, cert, key, created: false };
  }
  mkdirSync(dir, { recursive: true });
  // Written under temporary names and renamed, so that an interrupted start leaves no half pair.
  const tmpCert = `${certFile}.${process.pid}.tmp`;
  const tmpKey = `${keyFile}.${process.pid}.tmp`;
  try {
    execFileSync(
      opensslBinary(),
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '825', '-subj', '/CN=localhost', '-addext', `subjectAltName=${SUBJECT_ALT_NAMES}`, '-keyout', tmpKey, '-out', tmpCert],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    chmodSync(tmpKey, 0o600);
    renameSync(tmpKey, keyFile);
    renameSync(tmpCert, certFile);
  } catch (error) {
    rmSync(tmpCert, { force: true });
    rmSync(tmpKey, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    const stderr = String((error as { stderr?: Buffer }).stderr ?? '').trim();
    if (code === 'ENOENT') throw new Error(`HTTPS needs the openssl command to create its certificate (not found as "${opensslBinary()}"); install it, set OPENSSL to its path, or set HTTPS_PORT=off`);
    throw new Error(`openssl could not create the HTTPS certificate in ${dir}: ${stderr || (error as Error).message}`);
  }
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile), created: true };
}

function usable(pem: Buffer): boolean {
  try {
    const cert = new X509Certificate(pem);
    return Date.parse(cert.validTo) - Date.now() > RENEW_BEFORE_MS && Date.parse(cert.validFrom) <= Date.now();
  } catch {
    return false;
  }
}

/** The certificates of a PEM bundle (CLIENT_CA); an error naming the file when it holds none. */
export function readCaBundle(file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new Error(`CLIENT_CA ${file}: ${(error as Error).message}`);
  }
  const blocks = pem.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw new Error(`CLIENT_CA ${file} holds no PEM certificate`);
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new Error(`CLIENT_CA ${file}: certificate ${index + 1} cannot be read: ${(error as Error).message}`);
    }
  }
  return pem;
}

/** A DN as API Gateway writes it: RFC 4514 attribute=value pairs, comma-separated, in the certificate's order. */
function distinguishedName(multiline: string): string {
  return multiline
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const eq = line.indexOf('=');
      if (eq === -1) return line;
      // Node quotes values with special characters as JSON strings; RFC 4514 escapes them.
      let value = line.slice(eq + 1);
      if (value.startsWith('"') && value.endsWith('"')) {
        try {
          value = JSON.parse(value) as string;
        } catch {
          // keep it as it is
        }
      }
      return `${line.slice(0, eq)}=${value.replace(/([,+"\\<>;])/g, '\\$1')}`;
    })
    .join(',');
}

/**
 * The verified client certificate of a TLS connection, in the form API Gateway puts into
 * requestContext.authentication.clientCert: the PEM, subject and issuer DNs, the serial
 * number as colon-separated hex octets, and the validity dates as OpenSSL prints them.
 */
export function clientCertificate(socket: TLSSocket): APIGatewayEventClientCertificate | undefined {
  const peer = socket.getPeerX509Certificate();
  if (peer === undefined) return undefined;
  const serial = peer.serialNumber.toLowerCase().padStart(peer.serialNumber.length + (peer.serialNumber.length % 2), '0');
  return {
    clientCertPem: peer.toString(),
    subjectDN: distinguishedName(peer.subject),
    issuerDN: distinguishedName(peer.issuer),
    serialNumber: serial.match(/../g)?.join(':') ?? serial,
    validity: { notBefore: peer.validFrom, notAfter: peer.validTo },
  };
}
