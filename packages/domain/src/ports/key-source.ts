/** A public JWK or symmetric JWK, as JWKS documents publish them. */
interface JsonWebKeyLike {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}

/** Key material that a token may be verified with. */
type VerificationKey =
  | { readonly kind: 'secret'; readonly kid?: string; readonly secret: Uint8Array }
  | { readonly kind: 'jwk'; readonly kid?: string; readonly jwk: JsonWebKeyLike }
  | { readonly kind: 'spki'; readonly kid?: string; readonly pem: string }
  | { readonly kind: 'x509'; readonly kid?: string; readonly pem: string };

interface KeySet {
  readonly keys: readonly VerificationKey[];
}

/**
 * Where verification keys come from: a shared secret, a static PEM or JWK, a
 * JWKS URL or an x509 certificate map URL. A source may cache; `refresh`
 * asks it to bypass the cache (TokenVerifier does so, rate-limited, when a
 * token names an unknown `kid`). A source that cannot load rejects with
 * KeySourceError.
 */
interface KeySource {
  load(options?: { readonly refresh?: boolean }): Promise<KeySet>;
}

export type { JsonWebKeyLike, KeySet, KeySource, VerificationKey };
