import { describe, expect, it } from 'vitest';
import { authorizeCertificate, commonName, parseCertScopes, parseDistinguishedName } from '../../functions/auth/client-certs.ts';

describe('CLIENT_CERT_SCOPES', () => {
  it('maps CNs to scopes; a bare CN has every scope', () => {
    const scopes = parseCertScopes('router-1=ingest, dashboard-reader=read,ops=ingest+read,admin');
    expect([...scopes].map(([cn, s]) => [cn, [...s].sort()])).toEqual([
      ['router-1', ['ingest']],
      ['dashboard-reader', ['read']],
      ['ops', ['ingest', 'read']],
      ['admin', ['ingest', 'read']],
    ]);
  });

  it('keeps an = inside the CN (the scopes follow the last one)', () => {
    expect([...parseCertScopes('a=b=read').keys()]).toEqual(['a=b']);
  });

  it.each([
    ['router-1=write', /unknown scope "write"/],
    ['=read', /the CN is empty/],
    ['r=read,r=ingest', /listed twice/],
  ])('refuses %j, naming the entry', (spec, message) => {
    expect(() => parseCertScopes(spec, { source: 'CLIENT_CERT_SCOPES' })).toThrow(message);
  });
});

describe('distinguished names as API Gateway writes them', () => {
  it('finds the CN of RFC 4514 and OpenSSL forms', () => {
    expect(commonName('C=US,ST=Washington,L=Seattle,O=Amazon Web Services,OU=Security,CN=My Client')).toBe('My Client');
    expect(commonName('CN=router-1,O=Example')).toBe('router-1');
    expect(commonName('/C=US/O=Example/CN=router-1')).toBe('router-1');
    expect(commonName('www.example.com')).toBe('www.example.com');
    expect(commonName('O=Example,C=US')).toBeUndefined();
  });

  it('honours escapes and quoted values', () => {
    expect(commonName('O=Example\\, Inc.,CN=a\\+b')).toBe('a+b');
    expect(commonName('CN="x, y",O=z')).toBe('x, y');
    expect(commonName('CN=caf\\C3\\A9')).toBe('café');
    expect(parseDistinguishedName('CN=a+SERIALNUMBER=1,O=b')).toEqual([['CN', 'a'], ['SERIALNUMBER', '1'], ['O', 'b']]);
  });
});

describe('authorizing a verified client certificate', () => {
  const scopes = parseCertScopes('router-1=ingest,dashboard-reader=read');
  const cert = (cn: string) => ({ subjectDN: `O=Example,CN=${cn}` });

  it('allows a mapped CN within its scope', () => {
    expect(authorizeCertificate(scopes, cert('router-1'), 'POST')).toEqual({ outcome: 'allow', keyId: 'cert:router-1' });
    expect(authorizeCertificate(scopes, cert('dashboard-reader'), 'GET')).toEqual({ outcome: 'allow', keyId: 'cert:dashboard-reader' });
  });

  it('forbids a mapped CN outside its scope (403)', () => {
    expect(authorizeCertificate(scopes, cert('router-1'), 'GET')).toMatchObject({ outcome: 'forbidden', reason: expect.stringContaining('read') });
    expect(authorizeCertificate(scopes, cert('dashboard-reader'), 'POST').outcome).toBe('forbidden');
  });

  it('does not know an unmapped CN or a certificate without one (401)', () => {
    expect(authorizeCertificate(scopes, cert('stranger'), 'POST').outcome).toBe('unauthenticated');
    expect(authorizeCertificate(scopes, { subjectDN: 'O=Example' }, 'POST').outcome).toBe('unauthenticated');
  });
});
