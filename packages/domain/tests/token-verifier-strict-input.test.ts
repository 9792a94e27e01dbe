import fc from 'fast-check';
import { CompactSign, type JWTPayload, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  type KeySet,
  MAX_NUMERIC_DATE_SECONDS,
  TokenVerifier,
  type TokenVerifierOptions,
  type VerificationKey,
} from '../src/index.js';
import { ManualClock } from '../src/testing/index.js';

const SECRET = new TextEncoder().encode('a-test-secret-of-at-least-32-bytes!!');
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A key source holding one fixed key set, as a static secret or PEM gives it. */
const fixedSource = (set: KeySet) => ({ load: async () => set });

describe('TokenVerifier with hostile or incomplete tokens', () => {
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const nowSeconds = () => Math.floor(clock.now() / 1000);

  const verifierWith = (
    options: Partial<TokenVerifierOptions> = {},
    keys: readonly VerificationKey[] = [{ kind: 'secret', secret: SECRET }],
  ) => new TokenVerifier(fixedSource({ keys }), clock, { algorithms: ['HS256'], ...options });

  /** Signs exactly this payload text, so a test can carry what JSON allows but jose would not write. */
  const signRaw = (payloadJson: string, header: { alg: string; kid?: string } = { alg: 'HS256' }) =>
    new CompactSign(new TextEncoder().encode(payloadJson)).setProtectedHeader(header).sign(SECRET);

  const signed = (claims: JWTPayload, header: { alg: string; kid?: string } = { alg: 'HS256' }) =>
    new SignJWT({ sub: 'user-1', ...claims }).setProtectedHeader(header).sign(SECRET);

  const outcome = async (verifier: TokenVerifier, token: string) => {
    const result = await verifier.verify(token);
    return result.ok ? 'accepted' : result.error.code;
  };

  describe('required claims', () => {
    it('refuses a token without exp by default', async () => {
      const token = await signed({ iat: nowSeconds() });

      expect(await outcome(verifierWith(), token)).toBe('token_claim_invalid');
    });

    it('accepts a token without exp when exp is not required', async () => {
      const token = await signed({ iat: nowSeconds() });

      expect(await outcome(verifierWith({ requiredClaims: [] }), token)).toBe('accepted');
    });

    it('refuses a token missing any configured claim, and accepts it once present', async () => {
      const verifier = verifierWith({ requiredClaims: ['exp', 'tenant'] });
      const exp = nowSeconds() + 600;

      const without = await outcome(verifier, await signed({ exp }));
      const withIt = await outcome(verifier, await signed({ exp, tenant: 't1' }));

      expect(without).toBe('token_claim_invalid');
      expect(withIt).toBe('accepted');
    });
  });

  describe('numeric dates', () => {
    it('refuses an exp, nbf or iat that is not finite, negative or past the documented bound', async () => {
      const verifier = verifierWith();
      const exp = nowSeconds() + 600;
      const payloads = [
        '{"sub":"u","exp":1e400}',
        '{"sub":"u","exp":1e300}',
        `{"sub":"u","exp":${MAX_NUMERIC_DATE_SECONDS + 1}}`,
        `{"sub":"u","exp":${exp},"iat":1e400}`,
        `{"sub":"u","exp":${exp},"iat":-1}`,
        `{"sub":"u","exp":${exp},"nbf":-1e400}`,
        `{"sub":"u","exp":${exp},"nbf":-5}`,
        '{"sub":"u","exp":"tomorrow"}',
      ];

      const outcomes = await Promise.all(
        payloads.map(async (payload) => outcome(verifier, await signRaw(payload))),
      );

      expect(outcomes).toEqual(payloads.map(() => 'token_claim_invalid'));
    });

    it('accepts an exp up to the documented bound', async () => {
      const token = await signRaw(`{"sub":"u","exp":${MAX_NUMERIC_DATE_SECONDS}}`);

      expect(await outcome(verifierWith(), token)).toBe('accepted');
    });
  });

  describe('maximum token lifetime', () => {
    it('refuses a token whose exp - iat exceeds the maximum lifetime', async () => {
      const verifier = verifierWith({ maxTokenLifetimeSeconds: 3600 });
      const iat = nowSeconds() - 3000;

      const tooLong = await outcome(verifier, await signed({ iat, exp: iat + 3601 }));
      const allowed = await outcome(verifier, await signed({ iat, exp: iat + 3600 }));

      expect(tooLong).toBe('token_claim_invalid');
      expect(allowed).toBe('accepted');
    });

    it('refuses a token whose exp lies further ahead than the maximum lifetime plus the skew', async () => {
      const verifier = verifierWith({ maxTokenLifetimeSeconds: 3600, clockSkewSeconds: 30 });

      const tooLong = await outcome(verifier, await signed({ exp: nowSeconds() + 3631 }));
      const allowed = await outcome(verifier, await signed({ exp: nowSeconds() + 3630 }));

      expect(tooLong).toBe('token_claim_invalid');
      expect(allowed).toBe('accepted');
    });

    it('refuses a token without exp when a maximum lifetime is set, even if exp is not required', async () => {
      const verifier = verifierWith({ maxTokenLifetimeSeconds: 3600, requiredClaims: [] });

      expect(await outcome(verifier, await signed({ iat: nowSeconds() }))).toBe(
        'token_claim_invalid',
      );
    });

    it('refuses a maximum lifetime that is not a positive number of seconds', () => {
      for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() => verifierWith({ maxTokenLifetimeSeconds: bad })).toThrow(
          expect.objectContaining({ code: 'configuration_error' }),
        );
      }
    });
  });

  describe('strict compact form', () => {
    /** A different last character with the same significant bits: it decodes to the same bytes. */
    const sameBytesVariants = (token: string): string[] => {
      const segments = token.split('.');
      const variants: string[] = [];
      segments.forEach((segment, index) => {
        const unused = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0;
        const last = BASE64URL.indexOf(segment.at(-1) as string);
        for (let flip = 1; flip <= unused; flip++) {
          if ((flip & unused) !== flip) continue;
          const changed = [...segments];
          changed[index] = segment.slice(0, -1) + BASE64URL[last ^ flip];
          variants.push(changed.join('.'));
        }
      });
      return variants;
    };

    it('refuses a non-canonical encoding of a genuine signature, before checking it', async () => {
      const verifier = verifierWith();
      const token = await signed({ exp: nowSeconds() + 600 });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const last = BASE64URL.indexOf(signature.at(-1) as string);
      const variant = `${header}.${payload}.${signature.slice(0, -1)}${BASE64URL[last ^ 1]}`;

      expect(Buffer.from(variant.split('.')[2] as string, 'base64url')).toEqual(
        Buffer.from(signature, 'base64url'),
      );
      expect(await outcome(verifier, token)).toBe('accepted');
      expect(await outcome(verifier, variant)).toBe('token_malformed');
    });

    it('refuses whitespace, padding and characters outside base64url anywhere in the token', async () => {
      const verifier = verifierWith();
      const token = await signed({ exp: nowSeconds() + 600 });
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const variants = [
        ` ${token}`,
        `${token}\n`,
        `${header}.${payload}.${signature}=`,
        `${header}=.${payload}.${signature}`,
        `${header}.${payload.slice(0, 4)} ${payload.slice(4)}.${signature}`,
        `${header}.${payload}.${signature.replaceAll('-', '+').replaceAll('_', '/')}x`,
        `${token}.`,
      ];

      const outcomes = await Promise.all(variants.map((v) => outcome(verifier, v)));

      expect(outcomes).toEqual(variants.map(() => 'token_malformed'));
    });

    it('accepts no string other than the genuine token among its same-bytes and inserted-character variants', async () => {
      const verifier = verifierWith({ requiredClaims: [] });
      const claims = fc.record(
        { sub: fc.string({ minLength: 1, maxLength: 12 }), n: fc.integer(), pad: fc.string() },
        { requiredKeys: ['sub'] },
      );
      const inserted = fc.constantFrom(' ', '\t', '\n', '\r', '=', '+', '/', '.', '%', '\u00a0');

      await fc.assert(
        fc.asyncProperty(claims, fc.nat(), inserted, fc.nat(), async (payload, at, char, pick) => {
          const token = await signed(payload);
          const variants = sameBytesVariants(token);
          const position = at % (token.length + 1);
          variants.push(token.slice(0, position) + char + token.slice(position));
          const variant = variants[pick % variants.length] as string;

          expect(variant).not.toBe(token);
          expect(await outcome(verifier, token)).toBe('accepted');
          expect(await outcome(verifier, variant)).toBe('token_malformed');
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('kid with a static key', () => {
    it('accepts a genuine token with a kid when the configured key has no kid', async () => {
      const token = await signed({ exp: nowSeconds() + 600 }, { alg: 'HS256', kid: 'any-kid' });

      expect(await outcome(verifierWith(), token)).toBe('accepted');
    });

    it('accepts a token with the same kid as the configured key, and refuses another kid', async () => {
      const verifier = verifierWith({}, [{ kind: 'secret', kid: 'k1', secret: SECRET }]);
      const exp = nowSeconds() + 600;

      const same = await outcome(verifier, await signed({ exp }, { alg: 'HS256', kid: 'k1' }));
      const other = await outcome(verifier, await signed({ exp }, { alg: 'HS256', kid: 'k2' }));

      expect(same).toBe('accepted');
      expect(other).toBe('token_unknown_kid');
    });

    it('still refuses a forged token with a kid when the configured key has no kid', async () => {
      const forged = await new SignJWT({ sub: 'admin', exp: nowSeconds() + 600 })
        .setProtectedHeader({ alg: 'HS256', kid: 'any-kid' })
        .sign(new TextEncoder().encode('another-secret-of-at-least-32-bytes!!'));

      expect(await outcome(verifierWith(), forged)).toBe('token_signature_invalid');
    });
  });
});
