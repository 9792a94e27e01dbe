import { createHash, createHmac, type Hash, hash } from 'node:crypto';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

interface SigV4PostSignerOptions {
  /** Signing region. */
  readonly region: string;
  /** Signing service. @default 'execute-api' */
  readonly service?: string;
  /** Fixed credentials, or a provider (the SDK's chain) whose credentials may expire. */
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * Credentials expiring within this many ms are refreshed before the next
   * signature (the SDK's own providers use the same margin). @default 300000
   */
  readonly refreshMarginMs?: number;
  /** The clock, in epoch ms. @default Date.now */
  readonly now?: () => number;
}

/** What one post is: the request line and the headers it is sent with. */
interface PostToSign {
  /** The Host header: the endpoint's host, with its port if it is not the default. */
  readonly host: string;
  /** The request path as sent, already percent-encoded (`/stage/@connections/L0SM9cOFvHcCIhw%3D`). */
  readonly path: string;
  readonly payload: Uint8Array;
}

/** The signing key of one set of credentials on one day, for one region and service. */
interface DerivedKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly shortDate: string;
  readonly scope: string;
  /** HMAC-SHA256 keyed with the signing key, its pads hashed once (RFC 2104). */
  readonly inner: Hash;
  readonly outer: Hash;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

/** RFC 3986 escaping, as SigV4 wants it (encodeURIComponent leaves !'()* alone). */
const escapeUri = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

/**
 * The canonical URI of a path, as SigV4 defines it for every service but S3:
 * empty and `.` segments dropped, `..` resolved, then each segment escaped
 * again (so `%3D` is signed as `%253D`).
 */
const canonicalPath = (path: string): string => {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalised = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${
    segments.length > 0 && path.endsWith('/') ? '/' : ''
  }`;
  return escapeUri(normalised).replace(/%2F/g, '/');
};

/** A header value as SigV4 signs it: line breaks and runs of blanks as one space, trimmed. */
const canonicalValue = (value: string): string =>
  /[\r\n\t]| {2}|^ | $/.test(value)
    ? value
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, '')
    : value;

/** `20261201T202413Z`: ISO 8601 basic format, to the second. */
const longDateOf = (epochMs: number): string =>
  new Date(epochMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');

const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data).digest();

/**
 * The two halves of HMAC-SHA256 with this key: SHA-256 states that have
 * absorbed the key XOR ipad and XOR opad. A signature then copies them
 * instead of creating an Hmac, whose setup with a key costs several times
 * the hashing itself.
 */
const hmacHalves = (key: Buffer): { inner: Hash; outer: Hash } => {
  const block = Buffer.alloc(64);
  key.copy(block);
  const pad = (byte: number) => Buffer.from(block.map((b) => b ^ byte));
  return {
    inner: createHash('sha256').update(pad(0x36)),
    outer: createHash('sha256').update(pad(0x5c)),
  };
};

/**
 * AWS Signature Version 4 for API Gateway management API posts: a POST with a
 * fixed set of headers (content-length, host, x-amz-content-sha256,
 * x-amz-date, x-amz-security-token with session credentials), signed exactly
 * as `@smithy/signature-v4` signs that request (a differential test holds
 * them to the same headers).
 *
 * Why not the SDK's signer: per request it keys its signing-key cache with an
 * HMAC of the credentials, and builds a new Hmac from the secret. Here the
 * signing key is derived once per credentials and UTC day, with its HMAC
 * pads hashed then too, so a post costs one SHA-256 of the payload, one of
 * the canonical request and one HMAC (two short SHA-256 continuations).
 *
 * Credentials come from a provider and may expire (Lambda's role credentials
 * do): they are fetched again `refreshMarginMs` before their expiration,
 * concurrent signatures share one fetch, and a new key is derived whenever
 * the credentials or the date change.
 */
class SigV4PostSigner {
  private readonly region: string;
  private readonly service: string;
  private readonly provider: AwsCredentialIdentityProvider;
  private readonly refreshMarginMs: number;
  private readonly now: () => number;
  private credentials: AwsCredentialIdentity | undefined;
  private refreshing: Promise<AwsCredentialIdentity> | undefined;
  private derived: DerivedKey | undefined;
  private second = Number.NaN;
  private secondText = '';

  constructor(options: SigV4PostSignerOptions) {
    const { credentials } = options;
    this.region = options.region;
    this.service = options.service ?? 'execute-api';
    this.provider = typeof credentials === 'function' ? credentials : async () => credentials;
    this.refreshMarginMs = options.refreshMarginMs ?? 300_000;
    this.now = options.now ?? Date.now;
  }

  /** The headers to send the post with, `authorization` included. */
  async sign(post: PostToSign): Promise<Record<string, string>> {
    const now = this.now();
    const credentials = await this.credentialsAt(now);
    const longDate = this.longDateAt(now);
    const { inner, outer, scope } = this.keyFor(credentials, longDate.slice(0, 8));
    const payloadHash = hash('sha256', post.payload, 'hex');
    const contentLength = String(post.payload.byteLength);
    const host = canonicalValue(post.host);
    const token = credentials.sessionToken;
    const signedHeaders =
      token === undefined || token.length === 0
        ? 'content-length;host;x-amz-content-sha256;x-amz-date'
        : 'content-length;host;x-amz-content-sha256;x-amz-date;x-amz-security-token';
    const canonicalRequest =
      `POST\n${canonicalPath(post.path)}\n\n` +
      `content-length:${contentLength}\nhost:${host}\n` +
      `x-amz-content-sha256:${payloadHash}\nx-amz-date:${longDate}\n` +
      (token === undefined || token.length === 0
        ? ''
        : `x-amz-security-token:${canonicalValue(token)}\n`) +
      `\n${signedHeaders}\n${payloadHash}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${hash('sha256', canonicalRequest, 'hex')}`;
    const signature = outer.copy().update(inner.copy().update(stringToSign).digest()).digest('hex');
    const headers: Record<string, string> = {
      host: post.host,
      'content-length': contentLength,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': longDate,
      authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
    if (token !== undefined && token.length > 0) headers['x-amz-security-token'] = token;
    return headers;
  }

  /** x-amz-date, formatted once per second. */
  private longDateAt(now: number): string {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.secondText = longDateOf(now);
    }
    return this.secondText;
  }

  /** The cached credentials while they are good for `refreshMarginMs` more, else fresh ones. */
  private async credentialsAt(now: number): Promise<AwsCredentialIdentity> {
    const current = this.credentials;
    if (current !== undefined && !this.expiresSoon(current, now)) return current;
    this.refreshing ??= this.refresh();
    try {
      return await this.refreshing;
    } catch (error) {
      // A failed refresh keeps credentials that have not expired yet.
      const expiration = current?.expiration?.getTime();
      if (current !== undefined && (expiration === undefined || expiration > now)) return current;
      throw error;
    }
  }

  private async refresh(): Promise<AwsCredentialIdentity> {
    try {
      const fresh = await this.provider();
      if (typeof fresh?.accessKeyId !== 'string' || typeof fresh.secretAccessKey !== 'string') {
        throw new Error('the credential provider returned no access key id and secret');
      }
      this.credentials = fresh;
      return fresh;
    } finally {
      this.refreshing = undefined;
    }
  }

  private expiresSoon(credentials: AwsCredentialIdentity, now: number): boolean {
    const expiration = credentials.expiration?.getTime();
    return expiration !== undefined && expiration - now <= this.refreshMarginMs;
  }

  /** The signing key for these credentials on this day, derived once. */
  private keyFor(credentials: AwsCredentialIdentity, shortDate: string): DerivedKey {
    const derived = this.derived;
    if (
      derived !== undefined &&
      derived.shortDate === shortDate &&
      derived.accessKeyId === credentials.accessKeyId &&
      derived.secretAccessKey === credentials.secretAccessKey
    ) {
      return derived;
    }
    const dateKey = hmac(`AWS4${credentials.secretAccessKey}`, shortDate);
    const key = hmac(hmac(hmac(dateKey, this.region), this.service), 'aws4_request');
    const fresh: DerivedKey = {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      shortDate,
      scope: `${shortDate}/${this.region}/${this.service}/aws4_request`,
      ...hmacHalves(key),
    };
    this.derived = fresh;
    return fresh;
  }
}

export type { PostToSign, SigV4PostSignerOptions };
export { SigV4PostSigner };
