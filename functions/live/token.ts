import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The WebSocket API's connect token: `<payload>.<signature>`, both base64url, the payload
 * JSON `{"scope":"read","exp":<epoch seconds>}` and the signature its HMAC-SHA256 under the
 * stage's secret. A browser cannot send headers on a WebSocket handshake, so the token goes
 * in the URL; it is good for connecting only until it expires (an open connection stays
 * open), and it carries no API key.
 */
export const TOKEN_TTL_SECONDS = 300;

interface TokenPayload {
  scope: 'read';
  exp: number;
}

const sign = (secret: string, payload: string): Buffer => createHmac('sha256', secret).update(payload, 'utf8').digest();

export function issueToken(secret: string, now = Date.now()): { token: string; expiresAt: Date } {
  const exp = Math.floor(now / 1000) + TOKEN_TTL_SECONDS;
  const payload: TokenPayload = { scope: 'read', exp };
  const encoded = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  return { token: `${encoded}.${sign(secret, encoded).toString('base64url')}`, expiresAt: new Date(exp * 1000) };
}

export type TokenCheck = { valid: true; expiresAt: Date } | { valid: false; reason: string };

/** Why a token signed under another secret (or forged) is refused. */
export const BAD_SIGNATURE = 'bad token signature';

export function verifyToken(secret: string, token: string | undefined, now = Date.now()): TokenCheck {
  if (token === undefined || token === '') return { valid: false, reason: 'a token is required (GET /live gives a URL with one)' };
  const [encoded, signature, extra] = token.split('.');
  if (encoded === undefined || signature === undefined || extra !== undefined || encoded === '' || signature === '') return { valid: false, reason: 'malformed token' };
  const expected = sign(secret, encoded);
  const presented = Buffer.from(signature, 'base64url');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return { valid: false, reason: BAD_SIGNATURE };
  let payload: Partial<TokenPayload>;
  try {
    payload = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8')) as Partial<TokenPayload>;
  } catch {
    return { valid: false, reason: 'malformed token' };
  }
  if (payload.scope !== 'read') return { valid: false, reason: 'the token is not read-scoped' };
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now) return { valid: false, reason: 'the token has expired' };
  return { valid: true, expiresAt: new Date(payload.exp * 1000) };
}
