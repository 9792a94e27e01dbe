import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importPKCS8,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  type KeySet,
  type KeySource,
  KeySourceError,
  TokenVerifier,
  type TokenVerifierOptions,
} from '../src/index.js';
import { ManualClock } from '../src/testing/index.js';

const SECRET = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');
const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/** A key source over a fixed set that counts its loads, as the port allows. */
const countingSource = (set: KeySet, refreshed: KeySet = set) => {
  const source = {
    loads: 0,
    refreshes: 0,
    async load(options?: { readonly refresh?: boolean }) {
      source.loads++;
      if (options?.refresh) {
        source.refreshes++;
        return refreshed;
      }
      return set;
    },
  };
  return source;
};

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('TokenVerifier', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const nowSeconds = () => Math.floor(clock.now() / 1000);
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let rsaPem: string;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    rsaPem = await exportSPKI(rsa.publicKey);
  });

  const hsToken = (claims: JWTPayload = {}, alg = 'HS256', secret: Uint8Array = SECRET) =>
    new SignJWT({ sub: 'user-1', ...claims })
      .setProtectedHeader({ alg })
      .setIssuedAt(nowSeconds())
      .setExpirationTime(nowSeconds() + 600)
      .sign(secret);

  const hsVerifier = (
    options: Partial<TokenVerifierOptions> = {},
    source: KeySource = countingSource({ keys: [{ kind: 'secret', secret: SECRET }] }),
  ) => new TokenVerifier(source, clock, { algorithms: ['HS256', 'HS384', 'HS512'], ...options });

  const denial = async (verifier: TokenVerifier, token: string | undefined) => {
    const result = await verifier.verify(token);
    if (result.ok) throw new Error('expected a denial');
    return result.error.code;
  };

  it('accepts a valid HS256, HS384 and HS512 token and gives its principal', async () => {
    const verifier = hsVerifier();

    for (const alg of ['HS256', 'HS384', 'HS512']) {
      const result = await verifier.verify(await hsToken({ channels: ['room-1', 'room-2'] }, alg));
      expect(result.ok && result.value.userId).toBe('user-1');
      expect(result.ok && result.value.channels).toEqual(['room-1', 'room-2']);
    }
  });

  it('denies alg "none"', async () => {
    const token = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'user-1', exp: nowSeconds() + 60 })}.`;

    expect(await denial(hsVerifier(), token)).toBe('token_alg_not_allowed');
  });

  it('denies an algorithm outside the allow-list', async () => {
    const verifier = hsVerifier({ algorithms: ['HS512'] });

    expect(await denial(verifier, await hsToken())).toBe('token_alg_not_allowed');
  });

  it('denies an HMAC token signed with the RSA public key as its secret (algorithm confusion)', async () => {
    const verifier = new TokenVerifier(
      countingSource({ keys: [{ kind: 'spki', pem: rsaPem }] }),
      clock,
      {
        algorithms: ['RS256', 'HS256'],
      },
    );
    const forged = await hsToken({}, 'HS256', new TextEncoder().encode(rsaPem));

    expect(await denial(verifier, forged)).toBe('token_key_mismatch');
  });

  it('denies an expired token, within and beyond the clock skew', async () => {
    const verifier = hsVerifier({ clockSkewSeconds: 30 });
    const token = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(nowSeconds() - 10)
      .sign(SECRET);
    const longExpired = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(nowSeconds() - 31)
      .sign(SECRET);

    expect((await verifier.verify(token)).ok).toBe(true);
    expect(await denial(verifier, longExpired)).toBe('token_expired');
  });

  it('denies a token that is not yet valid', async () => {
    const token = await hsToken({ nbf: nowSeconds() + 120 });

    expect(await denial(hsVerifier(), token)).toBe('token_not_yet_valid');
  });

  it('denies a wrong issuer', async () => {
    const verifier = hsVerifier({ issuer: 'https://issuer.example' });

    expect(await denial(verifier, await hsToken({ iss: 'https://evil.example' }))).toBe(
      'token_issuer_invalid',
    );
    expect(await denial(verifier, await hsToken())).toBe('token_issuer_invalid');
    expect((await verifier.verify(await hsToken({ iss: 'https://issuer.example' }))).ok).toBe(true);
  });

  it('checks the audience given as a string or as an array', async () => {
    const verifier = hsVerifier({ audience: ['herald', 'herald-staging'] });

    expect(await denial(verifier, await hsToken({ aud: 'other' }))).toBe('token_audience_invalid');
    expect(await denial(verifier, await hsToken({ aud: ['other', 'another'] }))).toBe(
      'token_audience_invalid',
    );
    expect((await verifier.verify(await hsToken({ aud: 'herald' }))).ok).toBe(true);
    expect((await verifier.verify(await hsToken({ aud: ['other', 'herald-staging'] }))).ok).toBe(
      true,
    );
  });

  it('denies a tampered payload', async () => {
    const token = await hsToken({ channels: ['room-1'] });
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${b64url({ sub: 'admin', exp: nowSeconds() + 600, channels: ['*'] })}.${signature}`;

    expect(await denial(hsVerifier(), tampered)).toBe('token_signature_invalid');
  });

  it('refetches keys exactly once for an unknown kid, then denies', async () => {
    const source = countingSource({ keys: [{ kind: 'secret', kid: 'k1', secret: SECRET }] });
    const verifier = hsVerifier({}, source);
    const token = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'k-unknown' })
      .sign(SECRET);

    expect(await denial(verifier, token)).toBe('token_unknown_kid');
    expect(source.refreshes).toBe(1);
    expect(await denial(verifier, token)).toBe('token_unknown_kid');
    expect(source.refreshes).toBe(1);

    clock.advance(60_000);
    expect(await denial(verifier, token)).toBe('token_unknown_kid');
    expect(source.refreshes).toBe(2);
  });

  it('shares one refetch among concurrent tokens with unknown kids', async () => {
    const source = countingSource({ keys: [{ kind: 'secret', kid: 'k1', secret: SECRET }] });
    const verifier = hsVerifier({}, source);
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map((kid) =>
        new SignJWT({ sub: 'u' })
          .setProtectedHeader({ alg: 'HS256', kid })
          .setExpirationTime(nowSeconds() + 600)
          .sign(SECRET),
      ),
    );

    await Promise.all(tokens.map((t) => verifier.verify(t)));

    expect(source.refreshes).toBe(1);
  });

  it('accepts a token whose kid appears after the refetch (key rotation)', async () => {
    const source = countingSource(
      { keys: [{ kind: 'secret', kid: 'old', secret: SECRET }] },
      { keys: [{ kind: 'secret', kid: 'new', secret: SECRET }] },
    );
    const token = await new SignJWT({ sub: 'user-1' })
      .setProtectedHeader({ alg: 'HS256', kid: 'new' })
      .setExpirationTime(nowSeconds() + 600)
      .sign(SECRET);

    expect((await hsVerifier({}, source).verify(token)).ok).toBe(true);
  });

  it('accepts a token signed by a key from an x509 certificate map', async () => {
    const privateKey = await importPKCS8(fixture('x509-test-only.key.pem'), 'RS256');
    const source = countingSource({
      keys: [{ kind: 'x509', kid: 'cert-1', pem: fixture('x509-test-only.cert.pem') }],
    });
    const verifier = new TokenVerifier(source, clock, {
      algorithms: ['RS256'],
      audience: 'my-project',
    });
    const token = await new SignJWT({ sub: 'firebase-user', aud: 'my-project' })
      .setProtectedHeader({ alg: 'RS256', kid: 'cert-1' })
      .setExpirationTime(nowSeconds() + 60)
      .sign(privateKey);

    const result = await verifier.verify(token);

    expect(result.ok && result.value.userId).toBe('firebase-user');
  });

  it('accepts a token verified with a JWK and with a PEM public key', async () => {
    const jwk = { ...(await exportJWK(rsa.publicKey)), kty: 'RSA', kid: 'jwk-1' };
    const token = (kid?: string) =>
      new SignJWT({ sub: 'u-rsa' })
        .setProtectedHeader(kid ? { alg: 'RS256', kid } : { alg: 'RS256' })
        .setExpirationTime(nowSeconds() + 600)
        .sign(rsa.privateKey);
    const viaJwk = new TokenVerifier(
      countingSource({ keys: [{ kind: 'jwk', kid: 'jwk-1', jwk }] }),
      clock,
      {
        algorithms: ['RS256'],
      },
    );
    const viaPem = new TokenVerifier(
      countingSource({ keys: [{ kind: 'spki', pem: rsaPem }] }),
      clock,
      {
        algorithms: ['RS256'],
      },
    );

    expect((await viaJwk.verify(await token('jwk-1'))).ok).toBe(true);
    expect((await viaPem.verify(await token())).ok).toBe(true);
  });

  it('denies an RS256 token checked against a shared secret', async () => {
    const token = await new SignJWT({ sub: 'u' })
      .setProtectedHeader({ alg: 'RS256' })
      .sign(rsa.privateKey);
    const verifier = hsVerifier({ algorithms: ['HS256', 'RS256'] });

    expect(await denial(verifier, token)).toBe('token_key_mismatch');
  });

  it('reads the user id and channels from configured claims', async () => {
    const verifier = hsVerifier({ userIdClaim: 'uid', channelsClaim: 'scope' });

    const result = await verifier.verify(
      await hsToken({ uid: 'custom-user', scope: 'room-1 room-2' }),
    );

    expect(result.ok && result.value).toMatchObject({
      userId: 'custom-user',
      channels: ['room-1', 'room-2'],
    });
  });

  it('denies a token without the user id claim or with a bad channels claim', async () => {
    const verifier = hsVerifier({ userIdClaim: 'uid' });

    expect(await denial(verifier, await hsToken())).toBe('token_claim_invalid');
    expect(await denial(hsVerifier(), await hsToken({ channels: 5 }))).toBe('token_claim_invalid');
  });

  it('denies missing, oversized and malformed tokens', async () => {
    const verifier = hsVerifier();

    expect(await denial(verifier, undefined)).toBe('token_missing');
    expect(await denial(verifier, '')).toBe('token_missing');
    expect(await denial(verifier, 'x'.repeat(9000))).toBe('token_too_large');
    expect(await denial(verifier, 'not-a-jwt')).toBe('token_malformed');
  });

  it('denies with token_key_unavailable when keys cannot be loaded, without leaking the token', async () => {
    const source: KeySource = {
      load: async () => {
        throw new KeySourceError('issuer unreachable');
      },
    };
    const token = await hsToken();

    const result = await hsVerifier({}, source).verify(token);

    expect(!result.ok && result.error.code).toBe('token_key_unavailable');
    expect(!result.ok && result.error.message).not.toContain(token);
  });

  it('refuses to be built with no algorithm or an unsupported one', () => {
    const source = countingSource({ keys: [] });

    expect(() => new TokenVerifier(source, clock, { algorithms: [] })).toThrow(ConfigurationError);
    expect(() => new TokenVerifier(source, clock, { algorithms: ['none'] })).toThrow(
      ConfigurationError,
    );
  });

  it('answers any string with a principal or a typed denial, never a throw', async () => {
    const verifier = hsVerifier();
    const valid = await hsToken();

    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((p) => p.join('.')),
          fc
            .nat({ max: valid.length - 1 })
            .chain((i) =>
              fc
                .string({ minLength: 1, maxLength: 1 })
                .map((c) => `${valid.slice(0, i)}${c}${valid.slice(i + 1)}`),
            ),
        ),
        async (token) => {
          const result = await verifier.verify(token);
          if (!result.ok) expect(result.error.code).toMatch(/^token_/);
          if (result.ok) expect(result.value.userId).toBe('user-1');
        },
      ),
      { numRuns: 300 },
    );
  });
});
