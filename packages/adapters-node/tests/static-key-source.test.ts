import { ConfigurationError } from '@herald/domain';
import { describe, expect, it } from 'vitest';
import { StaticKeySource } from '../src/index.js';

describe('StaticKeySource', () => {
  it('refuses an HMAC secret shorter than 32 bytes', () => {
    expect(() => StaticKeySource.fromSecret('short')).toThrow(ConfigurationError);
  });

  it('refuses a private key where a public key is expected', () => {
    expect(() =>
      StaticKeySource.fromPem('-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'),
    ).toThrow(ConfigurationError);
    expect(() => StaticKeySource.fromJwk({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'secret' })).toThrow(
      ConfigurationError,
    );
  });

  it('tells a certificate from a public key', async () => {
    const cert = StaticKeySource.fromPem(
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      'c1',
    );
    const spki = StaticKeySource.fromPem(
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
    );

    expect((await cert.load()).keys[0]).toMatchObject({ kind: 'x509', kid: 'c1' });
    expect((await spki.load()).keys[0]).toMatchObject({ kind: 'spki' });
  });

  it('reads a JWKS document, leaving out encryption keys', async () => {
    const source = StaticKeySource.fromJwks({
      keys: [
        { kty: 'RSA', kid: 'sig', n: 'AQAB', e: 'AQAB' },
        { kty: 'RSA', kid: 'enc', use: 'enc', n: 'AQAB', e: 'AQAB' },
      ],
    });

    expect((await source.load()).keys.map((k) => k.kid)).toEqual(['sig']);
  });

  it('names the bad entry of an x509 certificate map', () => {
    expect(() =>
      StaticKeySource.fromX509Map({
        good: '-----BEGIN CERTIFICATE-----\nA\n-----END CERTIFICATE-----',
        bad: 42,
      }),
    ).toThrow(/entry "bad"/);
  });
});
