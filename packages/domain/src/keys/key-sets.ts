import { KeySourceError } from '../errors.js';
import { isPlainObject } from '../parsing/json-input.js';
import type { JsonWebKeyLike, KeySet, VerificationKey } from '../ports/key-source.js';

const PEM_CERTIFICATE = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;

/**
 * Reads an x509 certificate map, `{kid: PEM}`, as Google and Firebase
 * securetoken publish it. Throws KeySourceError naming the bad entry.
 */
const keySetFromX509Map = (document: unknown, origin = 'x509 certificate map'): KeySet => {
  if (!isPlainObject(document)) {
    throw new KeySourceError(`${origin}: expected a JSON object of {kid: PEM certificate}`);
  }
  const keys: VerificationKey[] = [];
  for (const [kid, pem] of Object.entries(document)) {
    if (typeof pem !== 'string' || !PEM_CERTIFICATE.test(pem.trim())) {
      throw new KeySourceError(`${origin}: entry "${kid}" is not a PEM certificate`);
    }
    keys.push({ kind: 'x509', kid, pem });
  }
  if (keys.length === 0) throw new KeySourceError(`${origin}: holds no certificates`);
  return { keys };
};

/** Reads a JWKS document, `{keys: [JWK…]}`. Keys meant only for encryption are left out. */
const keySetFromJwks = (document: unknown, origin = 'JWKS'): KeySet => {
  if (!isPlainObject(document) || !Array.isArray(document.keys)) {
    throw new KeySourceError(`${origin}: expected a JSON object with a "keys" array`);
  }
  const keys: VerificationKey[] = [];
  document.keys.forEach((jwk: unknown, index: number) => {
    if (!isPlainObject(jwk) || typeof jwk.kty !== 'string') {
      throw new KeySourceError(`${origin}: keys[${index}] is not a JWK (no "kty")`);
    }
    if (jwk.use === 'enc') return;
    if (Object.hasOwn(jwk, 'd')) {
      throw new KeySourceError(`${origin}: keys[${index}] holds private key material`);
    }
    const key = jwk as JsonWebKeyLike;
    keys.push(
      typeof key.kid === 'string'
        ? { kind: 'jwk', kid: key.kid, jwk: key }
        : { kind: 'jwk', jwk: key },
    );
  });
  if (keys.length === 0) throw new KeySourceError(`${origin}: holds no signing keys`);
  return { keys };
};

export { keySetFromJwks, keySetFromX509Map };
