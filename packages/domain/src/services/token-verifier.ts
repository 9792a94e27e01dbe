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
  /** Further claims every token must carry. @default [] */
  readonly requiredClaims?: readonly string[];
  /** Least time between two refetches triggered by unknown `kid`s, in ms. @default 60000 */
  readonly unknownKidRefetchIntervalMs?: number;
  /** Longest raw token accepted, in bytes. @default LIMITS.maxTokenBytes */
  readonly maxTokenBytes?: number;
}

type VerifiedKey = CryptoKey | Uint8Array;

const isHmac = (alg: string): boolean => alg.startsWith('HS');

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
        return this.principalFrom(payload);
      } catch (error) {
        if (!(error instanceof joseErrors.JWSSignatureVerificationFailed)) throw error;
        lastError = error;
      }
    }
    throw lastError;
  }

  private claimChecks() {
    const { issuer, audience, requiredClaims } = this.options;
    return {
      currentDate: new Date(this.clock.now()),
      clockTolerance: this.skew,
      ...(issuer === undefined
        ? {}
        : { issuer: typeof issuer === 'string' ? issuer : [...issuer] }),
      ...(audience === undefined
        ? {}
        : { audience: typeof audience === 'string' ? audience : [...audience] }),
      requiredClaims: [this.userIdClaim, ...(requiredClaims ?? [])],
    };
  }

  /** Keys that may verify this token, refetching once (rate-limited) for an unknown kid. */
  private async candidateKeys(kid: string | undefined, alg: string): Promise<VerificationKey[]> {
    const fits = (key: VerificationKey) => keyFitsAlgorithm(key, alg);
    let set = await this.loadKeys(false);
    if (kid !== undefined) {
      let matching = set.keys.filter((key) => key.kid === kid);
      if (matching.length === 0 && this.mayRefetch()) {
        set = await this.loadKeys(true);
        matching = set.keys.filter((key) => key.kid === kid);
      }
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
      const claim = (error as { claim?: string }).claim ?? '';
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
export { HMAC_ALGORITHMS, SUPPORTED_ALGORITHMS, TokenVerifier };
