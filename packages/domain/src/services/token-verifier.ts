import {
  type CryptoKey,
  decodeProtectedHeader,
  importJWK,
  importSPKI,
  importX509,
  type JWTPayload,
  errors as joseErrors,
  jwtVerify,
} from 'jose';
import { ConfigurationError, type TokenDenialReason, TokenDeniedError } from '../errors.js';
import { LIMITS } from '../limits.js';
import type { Principal } from '../model/principal.js';
import type { Clock } from '../ports/clock.js';
import type { KeySet, KeySource, VerificationKey } from '../ports/key-source.js';
import { err, ok, type Result } from '../result.js';

const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
const SUPPORTED_ALGORITHMS: readonly string[] = [...HMAC_ALGORITHMS, ...ASYMMETRIC_ALGORITHMS];

interface TokenVerifierOptions {
  /** Algorithms a token may be signed with. `none` is never accepted. */
  readonly algorithms: readonly string[];
  /** Accepted `iss` value(s). @default any issuer */
  readonly issuer?: string | readonly string[];
  /** Accepted `aud` value(s); the token's `aud` may be a string or an array. @default any audience */
  readonly audience?: string | readonly string[];
  /** Tolerated clock difference for `exp` and `nbf`, in seconds. @default 30 */
  readonly clockSkewSeconds?: number;
  /** Claim holding the user id. @default 'sub' */
  readonly userIdClaim?: string;
  /** Claim holding the allowed channels: an array of strings, or one space-separated string. @default 'channels' */
  readonly channelsClaim?: string;
  /**
   * Claims every token must carry, besides the user id claim (always
   * required). A token without `exp` is refused by default, as Sumu's
   * `verify_token_expiration` does; pass `[]` to accept tokens that never expire.
   * @default ['exp']
   */
  readonly requiredClaims?: readonly string[];
  /**
   * Longest lifetime a token may claim, in seconds: `exp - iat` (when `iat` is
   * present) and `exp - now` (always; plus the clock skew) must not exceed it.
   * When set, a token without `exp` is refused whatever `requiredClaims` says.
   * @default no limit
   */
  readonly maxTokenLifetimeSeconds?: number;
  /** Least time between two refetches triggered by unknown `kid`s, in ms. @default 60000 */
  readonly unknownKidRefetchIntervalMs?: number;
  /** Longest raw token accepted, in bytes. @default LIMITS.maxTokenBytes */
  readonly maxTokenBytes?: number;
}

type VerifiedKey = CryptoKey | Uint8Array;

const isHmac = (alg: string): boolean => alg.startsWith('HS');

/**
 * Latest instant a token's `exp`, `nbf` or `iat` may name, in epoch seconds:
 * 9999-12-31T23:59:59Z. JSON lets a token carry `1e400` (Infinity once
 * parsed) or `1e300`, which would otherwise mean "never expires"; such values,
 * negative ones, and anything past this bound are refused.
 */
const MAX_NUMERIC_DATE_SECONDS = 253_402_300_799;
const NUMERIC_DATE_CLAIMS = ['exp', 'nbf', 'iat'] as const;

/** The base64url alphabet, as a lookup from character code to its 6-bit value. */
const BASE64URL_VALUES = new Map(
  [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].map(
    (char, value) => [char.charCodeAt(0), value] as const,
  ),
);

/**
 * True when `segment` is canonical unpadded base64url (the empty string
 * encodes no bytes; an unsigned token then fails the algorithm check): only the alphabet, a
 * length that some byte string encodes to (never 1 more than a multiple of 4),
 * and zero in the unused low bits of the last character. Decoders ignore those
 * bits, so without this check several distinct strings decode to the same bytes.
 */
const isCanonicalBase64url = (segment: string): boolean => {
  if (segment.length % 4 === 1) return false;
  for (let i = 0; i < segment.length; i++) {
    if (!BASE64URL_VALUES.has(segment.charCodeAt(i))) return false;
  }
  const last = BASE64URL_VALUES.get(segment.charCodeAt(segment.length - 1)) as number;
  const unusedBits = segment.length % 4 === 2 ? 0b1111 : segment.length % 4 === 3 ? 0b11 : 0;
  return (last & unusedBits) === 0;
};

/** Only the strict compact form `base64url.base64url.base64url` is a token. */
const isStrictCompactJws = (token: string): boolean => {
  const segments = token.split('.');
  return segments.length === 3 && segments.every(isCanonicalBase64url);
};

/**
 * Turns a raw token into a Principal, or a typed denial. Built on jose.
 * Algorithm confusion is closed off twice: the allow-list, and a key-kind
 * check (a secret only ever verifies HMAC tokens, a public key only asymmetric
 * ones), so a public key is never used as an HMAC secret.
 */
class TokenVerifier {
  private readonly algorithms: readonly string[];
  private readonly skew: number;
  private readonly userIdClaim: string;
  private readonly channelsClaim: string;
  private readonly refetchIntervalMs: number;
  private readonly maxTokenBytes: number;
  private readonly requiredClaims: readonly string[];
  private readonly maxLifetimeSeconds: number | undefined;
  private readonly imported = new WeakMap<VerificationKey, Map<string, Promise<VerifiedKey>>>();
  private lastRefetchAt = Number.NEGATIVE_INFINITY;
  private refetching: Promise<KeySet> | undefined;

  constructor(
    private readonly keys: KeySource,
    private readonly clock: Clock,
    private readonly options: TokenVerifierOptions,
  ) {
    if (options.algorithms.length === 0) {
      throw new ConfigurationError('algorithms', 'at least one algorithm must be allowed');
    }
    for (const alg of options.algorithms) {
      if (!SUPPORTED_ALGORITHMS.includes(alg)) {
        throw new ConfigurationError(
          'algorithms',
          `"${alg}" is not supported (expected some of ${SUPPORTED_ALGORITHMS.join(', ')})`,
        );
      }
    }
    this.algorithms = [...options.algorithms];
    this.skew = options.clockSkewSeconds ?? 30;
    this.userIdClaim = options.userIdClaim ?? 'sub';
    this.channelsClaim = options.channelsClaim ?? 'channels';
    this.refetchIntervalMs = options.unknownKidRefetchIntervalMs ?? 60_000;
    this.maxTokenBytes = options.maxTokenBytes ?? LIMITS.maxTokenBytes;
    this.requiredClaims = [...(options.requiredClaims ?? ['exp'])];
    const lifetime = options.maxTokenLifetimeSeconds;
    if (lifetime !== undefined && !(Number.isFinite(lifetime) && lifetime > 0)) {
      throw new ConfigurationError(
        'maxTokenLifetimeSeconds',
        `expected a positive number of seconds, got ${String(lifetime)}`,
      );
    }
    this.maxLifetimeSeconds = lifetime;
  }

  async verify(token: string | undefined | null): Promise<Result<Principal, TokenDeniedError>> {
    try {
      return ok(await this.verifyOrThrow(token));
    } catch (error) {
      if (error instanceof TokenDeniedError) return err(error);
      return err(denialFromJose(error));
    }
  }

  private async verifyOrThrow(token: string | undefined | null): Promise<Principal> {
    if (token === undefined || token === null || token.length === 0) {
      throw new TokenDeniedError('token_missing', 'no token was presented');
    }
    if (token.length > this.maxTokenBytes) {
      throw new TokenDeniedError(
        'token_too_large',
        `the token is longer than ${this.maxTokenBytes} bytes`,
      );
    }
    if (!isStrictCompactJws(token)) {
      throw new TokenDeniedError(
        'token_malformed',
        'the token is not three canonical base64url segments joined by "."',
      );
    }
    const header = decodeProtectedHeader(token);
    const alg = header.alg;
    if (typeof alg !== 'string' || !this.algorithms.includes(alg)) {
      throw new TokenDeniedError(
        'token_alg_not_allowed',
        `algorithm "${String(alg)}" is not allowed (allowed: ${this.algorithms.join(', ')})`,
      );
    }
    const candidates = await this.candidateKeys(header.kid, alg);
    let lastError: unknown;
    for (const key of candidates) {
      try {
        const { payload } = await jwtVerify(token, await this.importKey(key, alg), {
          algorithms: [alg],
          ...this.claimChecks(),
        });
        this.checkTimes(payload);
        return this.principalFrom(payload);
      } catch (error) {
        if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private claimChecks() {
    const { issuer, audience } = this.options;
    return {
      currentDate: new Date(this.clock.now()),
      clockTolerance: this.skew,
      ...(issuer === undefined
        ? {}
        : { issuer: typeof issuer === 'string' ? issuer : [...issuer] }),
      ...(audience === undefined
        ? {}
        : { audience: typeof audience === 'string' ? audience : [...audience] }),
      requiredClaims: [this.userIdClaim, ...this.requiredClaims],
    };
  }

  /** Refuses absurd numeric dates and, when configured, too long a lifetime. */
  private checkTimes(payload: JWTPayload): void {
    for (const claim of NUMERIC_DATE_CLAIMS) {
      const value = payload[claim];
      if (value === undefined) continue;
      if (
        typeof value !== 'number' ||
        !Number.isFinite(value) ||
        value < 0 ||
        value > MAX_NUMERIC_DATE_SECONDS
      ) {
        throw new TokenDeniedError(
          'token_claim_invalid',
          `claim "${claim}" must be a number of seconds from 0 to ${MAX_NUMERIC_DATE_SECONDS}`,
        );
      }
    }
    const max = this.maxLifetimeSeconds;
    if (max === undefined) return;
    const { exp, iat } = payload as { exp?: number; iat?: number };
    if (exp === undefined) {
      throw new TokenDeniedError(
        'token_claim_invalid',
        `claim "exp" is required when tokens may live at most ${max} s`,
      );
    }
    const nowSeconds = this.clock.now() / 1000;
    if ((iat !== undefined && exp - iat > max) || exp - nowSeconds > max + this.skew) {
      throw new TokenDeniedError(
        'token_claim_invalid',
        `the token lives longer than the ${max} s allowed`,
      );
    }
  }

  /**
   * Keys that may verify this token. A token with a `kid` is verified by the
   * keys with that kid, refetching once (rate-limited) when none has it, and
   * otherwise by the keys configured without a kid. A token without a `kid` is
   * verified by the keys without one, or by the only key.
   */
  private async candidateKeys(kid: string | undefined, alg: string): Promise<VerificationKey[]> {
    const fits = (key: VerificationKey) => keyFitsAlgorithm(key, alg);
    let set = await this.loadKeys(false);
    if (kid !== undefined) {
      let matching = set.keys.filter((key) => key.kid === kid);
      if (matching.length === 0 && this.mayRefetch()) {
        set = await this.loadKeys(true);
        matching = set.keys.filter((key) => key.kid === kid);
      }
      // A key configured without a kid does not contradict the token's kid
      // (a static secret or PEM usually has none), so it may verify it; a key
      // with a different kid may not.
      if (matching.length === 0) matching = set.keys.filter((key) => key.kid === undefined);
      if (matching.length === 0) {
        throw new TokenDeniedError('token_unknown_kid', `no key has kid "${kid.slice(0, 64)}"`);
      }
      const usable = matching.filter(fits);
      if (usable.length === 0) throw keyMismatch(alg);
      return usable;
    }
    const unnamed = set.keys.filter((key) => key.kid === undefined);
    const pool = unnamed.length > 0 ? unnamed : set.keys.length === 1 ? set.keys : [];
    if (pool.length === 0) {
      throw new TokenDeniedError(
        'token_unknown_kid',
        'the token has no kid and several keys are configured',
      );
    }
    const usable = pool.filter(fits);
    if (usable.length === 0) throw keyMismatch(alg);
    return usable;
  }

  private mayRefetch(): boolean {
    return (
      this.refetching !== undefined ||
      this.clock.now() - this.lastRefetchAt >= this.refetchIntervalMs
    );
  }

  private async loadKeys(refresh: boolean): Promise<KeySet> {
    try {
      if (!refresh) return await this.keys.load();
      if (this.refetching === undefined) {
        this.lastRefetchAt = this.clock.now();
        this.refetching = this.keys.load({ refresh: true }).finally(() => {
          this.refetching = undefined;
        });
      }
      return await this.refetching;
    } catch (error) {
      throw new TokenDeniedError(
        'token_key_unavailable',
        `verification keys could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }

  private importKey(key: VerificationKey, alg: string): Promise<VerifiedKey> {
    let byAlg = this.imported.get(key);
    if (byAlg === undefined) {
      byAlg = new Map();
      this.imported.set(key, byAlg);
    }
    let imported = byAlg.get(alg);
    if (imported === undefined) {
      imported = importVerificationKey(key, alg).catch((error: unknown) => {
        byAlg.delete(alg);
        throw new TokenDeniedError('token_key_mismatch', `the key cannot verify ${alg}`, {
          cause: error,
        });
      });
      byAlg.set(alg, imported);
    }
    return imported;
  }

  private principalFrom(payload: JWTPayload): Principal {
    const userId = payload[this.userIdClaim];
    if (typeof userId !== 'string' || userId.length === 0 || userId.length > LIMITS.maxIdLength) {
      throw new TokenDeniedError(
        'token_claim_invalid',
        `claim "${this.userIdClaim}" must be a string of 1 to ${LIMITS.maxIdLength} characters`,
      );
    }
    return { userId, channels: this.channelsFrom(payload[this.channelsClaim]), claims: payload };
  }

  private channelsFrom(value: unknown): readonly string[] {
    if (value === undefined) return [];
    if (typeof value === 'string') return value.split(/[\s,]+/).filter((c) => c.length > 0);
    if (Array.isArray(value) && value.every((c) => typeof c === 'string')) return value;
    throw new TokenDeniedError(
      'token_claim_invalid',
      `claim "${this.channelsClaim}" must be an array of strings or a space-separated string`,
    );
  }
}

const keyFitsAlgorithm = (key: VerificationKey, alg: string): boolean => {
  const symmetric = key.kind === 'secret' || (key.kind === 'jwk' && key.jwk.kty === 'oct');
  if (symmetric !== isHmac(alg)) return false;
  return key.kind !== 'jwk' || key.jwk.alg === undefined || key.jwk.alg === alg;
};

const keyMismatch = (alg: string) =>
  new TokenDeniedError(
    'token_key_mismatch',
    isHmac(alg)
      ? `an ${alg} token cannot be verified with a public key`
      : `an ${alg} token cannot be verified with a shared secret`,
  );

const importVerificationKey = async (key: VerificationKey, alg: string): Promise<VerifiedKey> => {
  switch (key.kind) {
    case 'secret':
      return key.secret;
    case 'spki':
      return importSPKI(key.pem, alg);
    case 'x509':
      return importX509(key.pem, alg);
    case 'jwk':
      return importJWK({ ...key.jwk }, alg);
  }
};

const CLAIM_DENIALS: Readonly<Record<string, TokenDenialReason>> = {
  nbf: 'token_not_yet_valid',
  iss: 'token_issuer_invalid',
  aud: 'token_audience_invalid',
  exp: 'token_expired',
};

/** Maps jose's errors (matched on their stable codes) to Herald's denial reasons. */
const denialFromJose = (error: unknown): TokenDeniedError => {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : 'invalid token';
  const deny = (reason: TokenDenialReason) =>
    new TokenDeniedError(reason, message, { cause: error });
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return deny('token_expired');
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      // A missing or non-numeric `exp` is an invalid claim, not an expired token.
      const { claim = '', reason } = error as { claim?: string; reason?: string };
      if (claim === 'exp' && reason !== 'check_failed') return deny('token_claim_invalid');
      return deny(CLAIM_DENIALS[claim] ?? 'token_claim_invalid');
    }
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return deny('token_signature_invalid');
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return deny('token_alg_not_allowed');
    default:
      return new TokenDeniedError('token_malformed', 'the token is not a well-formed signed JWT', {
        cause: error,
      });
  }
};

export type { TokenVerifierOptions };
export { HMAC_ALGORITHMS, MAX_NUMERIC_DATE_SECONDS, SUPPORTED_ALGORITHMS, TokenVerifier };
