import { badRequest } from './errors.ts';
import type { HttpEvent } from './http-response.ts';

/**
 * A path parameter, percent-decoded. The gateway hands over the raw segment, so "%" or a
 * truncated "%E0%A4%A" arrives undecodable: that is the client's mistake (400), not ours.
 * Decoding an already decoded value is harmless here: protocols and MACs never contain '%'.
 */
export function pathParameter(event: HttpEvent, name: string): string {
  const raw = event.pathParameters?.[name] ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest(`path parameter ${name} is not valid percent-encoding`, [{ field: name, message: 'malformed percent-encoding' }]);
  }
}
