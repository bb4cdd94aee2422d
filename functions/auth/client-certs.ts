import { SCOPES, requiredScope, type Decision, type Scope } from './api-keys.ts';

/**
 * Mutual TLS: a client certificate that API Gateway (or the local runtime) has verified
 * against the truststore reaches the authorizer as requestContext.authentication.clientCert.
 * Its subject's common name (CN) is the caller's identity, mapped to scopes by a list of
 * `CN=scope+scope` entries (`CN` alone for every scope), comma-separated: locally from
 * CLIENT_CERT_SCOPES, deployed from the SSM parameter beside the API-key hashes.
 */
export type CertScopes = ReadonlyMap<string, ReadonlySet<Scope>>;

/** What the authorizer reads of a verified client certificate (API Gateway's field names). */
export interface VerifiedClientCert {
  subjectDN: string;
  issuerDN?: string;
  serialNumber?: string;
}

/**
 * Parses a CN-to-scopes list. A malformed entry throws, naming the list (`source`) and the
 * entry; a CN listed twice is an error rather than a silent override.
 */
export function parseCertScopes(spec: string, options: { source?: string } = {}): Map<string, Set<Scope>> {
  const source = options.source ?? 'client certificate list';
  const entries = spec.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  const mapping = new Map<string, Set<Scope>>();
  entries.forEach((entry, index) => {
    const eq = entry.lastIndexOf('=');
    const cn = (eq === -1 ? entry : entry.slice(0, eq)).trim();
    const scopeList = eq === -1 ? [...SCOPES] : entry.slice(eq + 1).split('+').map((s) => s.trim());
    const bad = (problem: string) => new Error(`${source} entry ${index + 1} of ${entries.length} ("${entry}"): ${problem}`);
    if (cn === '') throw bad('the CN is empty');
    if (/[\x00-\x1f\x7f]/.test(cn)) throw bad('the CN contains a control character');
    for (const scope of scopeList) {
      if (!(SCOPES as readonly string[]).includes(scope)) throw bad(`unknown scope "${scope}" (use ${SCOPES.join(', ')})`);
    }
    if (mapping.has(cn)) throw bad(`CN "${cn}" is listed twice`);
    mapping.set(cn, new Set(scopeList as Scope[]));
  });
  return mapping;
}

/**
 * The attribute/value pairs of a distinguished name as API Gateway writes it
 * (`C=US,O=Example,CN=router-1`, RFC 4514 escapes and quoted values allowed; `+` joins the
 * parts of a multi-valued RDN). Also takes OpenSSL's `/C=US/O=Example/CN=router-1` form.
 */
export function parseDistinguishedName(dn: string): [string, string][] {
  const text = dn.trim();
  if (text.startsWith('/')) {
    return text
      .slice(1)
      .split('/')
      .map((part) => part.split('='))
      .filter((pair) => pair.length >= 2)
      .map(([type, ...value]) => [String(type).trim().toUpperCase(), value.join('=').trim()] as [string, string]);
  }
  const pairs: [string, string][] = [];
  let type = '';
  let value = '';
  // \XX escapes are the octets of UTF-8: gathered, then decoded together.
  let octets: number[] = [];
  let inValue = false;
  let quoted = false;
  const decodeOctets = () => {
    if (octets.length > 0) value += Buffer.from(octets).toString('utf8');
    octets = [];
  };
  const flush = () => {
    decodeOctets();
    if (inValue) pairs.push([type.trim().toUpperCase(), value.trim()]);
    type = '';
    value = '';
    inValue = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (!inValue) {
      if (c === '=') inValue = true;
      else if (c === ',' || c === '+' || c === ';') type = '';
      else type += c;
      continue;
    }
    const hex = c === '\\' ? /^[0-9a-fA-F]{2}/.exec(text.slice(i + 1, i + 3)) : null;
    if (hex !== null) {
      octets.push(Number.parseInt(hex[0], 16));
      i += 2;
      continue;
    }
    decodeOctets();
    if (c === '\\' && i + 1 < text.length) {
      value += text[i + 1];
      i += 1;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && (c === ',' || c === '+' || c === ';')) {
      flush();
    } else {
      value += c;
    }
  }
  flush();
  return pairs;
}

/**
 * The subject's common name: its CN attribute (the last one, the most specific, when there
 * are several). A DN with no attribute types at all is taken as a bare name.
 */
export function commonName(subjectDN: string): string | undefined {
  const pairs = parseDistinguishedName(subjectDN);
  if (pairs.length === 0) return subjectDN.trim() === '' || subjectDN.includes('=') ? undefined : subjectDN.trim();
  const cn = pairs.filter(([type]) => type === 'CN' || type === '2.5.4.3').at(-1)?.[1];
  return cn === undefined || cn === '' ? undefined : cn;
}

/** The decision for a request that carries a verified client certificate and no API key. */
export function authorizeCertificate(scopes: CertScopes, cert: VerifiedClientCert, method: string): Decision {
  const cn = commonName(cert.subjectDN);
  if (cn === undefined) return { outcome: 'unauthenticated', reason: 'the client certificate has no subject CN' };
  const granted = scopes.get(cn);
  if (granted === undefined) return { outcome: 'unauthenticated', reason: `client certificate CN=${cn} is not mapped to any scope` };
  const scope = requiredScope(method);
  const keyId = `cert:${cn}`;
  if (!granted.has(scope)) return { outcome: 'forbidden', keyId, reason: `client certificate CN=${cn} lacks the ${scope} scope` };
  return { outcome: 'allow', keyId };
}
