import type { RequestOptions } from 'node:https';
import {
  ConfigurationError,
  isLoopback,
  type KeySet,
  type KeySource,
  KeySourceError,
  keySetFromJwks,
  keySetFromX509Map,
} from '@herald/domain';
import { nodeHttp, nodeHttps } from '../node-http.js';

interface HttpKeySourceOptions {
  /** Where the issuer publishes its keys, over HTTPS. */
  readonly url: string;
  /** `jwks` (`{"keys":[…]}`) or `x509` (`{kid: PEM certificate}`, as Google and Firebase publish). */
  readonly format: 'jwks' | 'x509';
  /** Per-request timeout, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** Least time between two fetches asked for with `refresh`, in ms. @default 30000 */
  readonly minRefreshIntervalMs?: number;
  /** Cache lifetime when the response has no `Cache-Control: max-age`, in ms. @default 300000 */
  readonly defaultMaxAgeMs?: number;
  /** Shortest and longest cache lifetime whatever `Cache-Control` says, in ms. @default 30000 and 86400000 */
  readonly minMaxAgeMs?: number;
  readonly maxMaxAgeMs?: number;
  /** How long past its expiry a cached set is still served when the issuer is unreachable, in ms. @default 3600000 */
  readonly maxStaleMs?: number;
  /** Largest document accepted, in bytes. @default 262144 */
  readonly maxBytes?: number;
  /** Extra trusted certificate authorities (PEM), e.g. a private issuer's. */
  readonly ca?: string | readonly string[];
  /** @default Date.now */
  readonly now?: () => number;
}

interface Cached {
  readonly keys: KeySet;
  readonly fetchedAt: number;
  readonly expiresAt: number;
}

/**
 * KeySource that fetches a JWKS document or an x509 certificate map over
 * HTTPS. It caches for as long as `Cache-Control: max-age` says (within
 * bounds), fetches at most once at a time, and honours `refresh` (what
 * TokenVerifier asks for on an unknown `kid`) at most once per
 * `minRefreshIntervalMs`, so a stream of forged kids cannot make it hammer the
 * issuer. An unreachable issuer, a timeout or a bad document is a
 * KeySourceError naming the URL.
 */
class HttpKeySource implements KeySource {
  private readonly url: URL;
  private cached: Cached | undefined;
  private inFlight: Promise<Cached> | undefined;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  /** Fetches made, for tests and metrics. */
  fetches = 0;

  constructor(private readonly options: HttpKeySourceOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new ConfigurationError('keys url', `"${options.url}" is not a URL`);
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
      throw new ConfigurationError(
        'keys url',
        `must be an HTTPS URL (plain HTTP only on a loopback host, for a local identity provider), got ${url.protocol}//${url.host}`,
      );
    }
    this.url = url;
    this.now = options.now ?? Date.now;
  }

  async load(options: { readonly refresh?: boolean } = {}): Promise<KeySet> {
    const now = this.now();
    const cached = this.cached;
    const fresh = cached !== undefined && cached.expiresAt > now;
    const mayRefresh = now - this.lastRefreshAt >= (this.options.minRefreshIntervalMs ?? 30_000);
    if (cached !== undefined && fresh && !(options.refresh && mayRefresh)) return cached.keys;
    if (options.refresh) this.lastRefreshAt = now;
    try {
      return (await this.fetchOnce()).keys;
    } catch (error) {
      const stale =
        cached !== undefined && now - cached.expiresAt <= (this.options.maxStaleMs ?? 3_600_000);
      if (stale) return cached.keys;
      throw error;
    }
  }

  private fetchOnce(): Promise<Cached> {
    this.inFlight ??= this.fetchKeys().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchKeys(): Promise<Cached> {
    this.fetches++;
    const { body, cacheControl } = await this.get();
    let document: unknown;
    try {
      document = JSON.parse(body);
    } catch {
      throw new KeySourceError(`${this.url.href} did not return JSON`);
    }
    const keys =
      this.options.format === 'jwks'
        ? keySetFromJwks(document, this.url.href)
        : keySetFromX509Map(document, this.url.href);
    const fetchedAt = this.now();
    this.cached = { keys, fetchedAt, expiresAt: fetchedAt + this.maxAgeOf(cacheControl) };
    return this.cached;
  }

  private maxAgeOf(cacheControl: string | undefined): number {
    const directives = (cacheControl ?? '').toLowerCase();
    const maxAge = /(?:^|,)\s*max-age=(\d+)/.exec(directives)?.[1];
    const wanted = /no-store|no-cache/.test(directives)
      ? 0
      : maxAge === undefined
        ? (this.options.defaultMaxAgeMs ?? 300_000)
        : Number(maxAge) * 1000;
    return Math.min(
      this.options.maxMaxAgeMs ?? 86_400_000,
      Math.max(this.options.minMaxAgeMs ?? 30_000, wanted),
    );
  }

  private get(): Promise<{ body: string; cacheControl: string | undefined }> {
    const timeoutMs = this.options.timeoutMs ?? 5000;
    const maxBytes = this.options.maxBytes ?? 262_144;
    const ca = this.options.ca === undefined ? {} : { ca: [this.options.ca].flat() };
    const requestOptions: RequestOptions = {
      method: 'GET',
      headers: { accept: 'application/json' },
      timeout: timeoutMs,
      ...ca,
    };
    return new Promise((resolve, reject) => {
      const fail = (problem: string, cause?: unknown) =>
        reject(
          new KeySourceError(
            `${this.url.href}: ${problem}`,
            cause === undefined ? undefined : { cause },
          ),
        );
      const request = this.url.protocol === 'http:' ? nodeHttp().request : nodeHttps().request;
      const req = request(this.url, requestOptions, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return fail(`answered HTTP ${response.statusCode}`);
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            return fail(`document is over ${maxBytes} bytes`);
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({
            body: Buffer.concat(chunks).toString('utf8'),
            cacheControl: response.headers['cache-control'],
          }),
        );
        response.on('error', (error) => fail('the response broke off', error));
      });
      req.on('timeout', () => {
        req.destroy();
        fail(`did not answer within ${timeoutMs} ms`);
      });
      req.on('error', (error) => fail(`could not be reached (${(error as Error).message})`, error));
      req.end();
    });
  }
}

export type { HttpKeySourceOptions };
export { HttpKeySource };
