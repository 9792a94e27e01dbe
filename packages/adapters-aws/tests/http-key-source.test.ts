import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { ConfigurationError, KeySourceError, TokenVerifier } from '@herald/domain';
import { describeKeySourceContract, ManualClock } from '@herald/domain/testing';
import { type CryptoKey, exportJWK, generateKeyPair, importPKCS8, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpKeySource } from '../src/keys/index.js';

const fixture = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8');
const TLS = {
  key: fixture('./fixtures/https-test-only.key.pem'),
  cert: fixture('./fixtures/https-test-only.cert.pem'),
};
const CA = TLS.cert;

interface Served {
  status?: number;
  body: string;
  cacheControl?: string;
  /** Never answer (for the timeout). */
  hang?: boolean;
}

/** An HTTPS issuer on loopback whose answer the test changes at will; counts requests. */
const issuer = async (initial: Served) => {
  let served = initial;
  let requests = 0;
  const server: Server = createServer(TLS, (_request, response) => {
    requests++;
    if (served.hang) return;
    response.writeHead(served.status ?? 200, {
      'content-type': 'application/json',
      ...(served.cacheControl ? { 'cache-control': served.cacheControl } : {}),
    });
    response.end(served.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/keys`,
    serve: (next: Served) => {
      served = next;
    },
    get requests() {
      return requests;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

const jwks = async (...kids: string[]) => {
  const keys = [];
  const privateKeys: Record<string, CryptoKey> = {};
  for (const kid of kids) {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKeys[kid] = pair.privateKey;
    keys.push({ ...(await exportJWK(pair.publicKey)), kid, alg: 'RS256', use: 'sig' });
  }
  return { body: JSON.stringify({ keys }), privateKeys };
};

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describeKeySourceContract('HttpKeySource (JWKS over HTTPS on loopback)', async () => {
  const first = await jwks('k1', 'k2');
  const server = await issuer({ body: first.body, cacheControl: 'max-age=600' });
  return {
    source: new HttpKeySource({ url: server.url, format: 'jwks', ca: CA, minRefreshIntervalMs: 0 }),
    initialKids: ['k1', 'k2'],
    rotate: async () => {
      server.serve({ body: (await jwks('k3')).body });
      return ['k3'];
    },
    break: async () => server.serve({ status: 503, body: '{}' }),
    dispose: server.close,
  };
});

describe('HttpKeySource', () => {
  it('caches for the max-age its issuer sends', async () => {
    const server = await issuer({
      body: (await jwks('k1')).body,
      cacheControl: 'public, max-age=120',
    });
    closers.push(server.close);
    const clock = new ManualClock();
    const source = new HttpKeySource({
      url: server.url,
      format: 'jwks',
      ca: CA,
      now: () => clock.now(),
    });

    await source.load();
    clock.advance(119_000);
    await source.load();
    clock.advance(2_000);
    await source.load();

    expect(server.requests).toBe(2);
  });

  it('refetches on refresh at most once per interval, and not on every request', async () => {
    const server = await issuer({ body: (await jwks('k1')).body, cacheControl: 'max-age=3600' });
    closers.push(server.close);
    const clock = new ManualClock();
    const source = new HttpKeySource({
      url: server.url,
      format: 'jwks',
      ca: CA,
      minRefreshIntervalMs: 30_000,
      now: () => clock.now(),
    });

    await source.load();
    await Promise.all([source.load({ refresh: true }), source.load({ refresh: true })]);
    await source.load({ refresh: true });
    clock.advance(30_000);
    await source.load({ refresh: true });

    expect(server.requests).toBe(3);
  });

  it('lets TokenVerifier refetch once for an unknown kid, then deny, without a fetch per token', async () => {
    const keys = await jwks('known');
    const server = await issuer({ body: keys.body, cacheControl: 'max-age=3600' });
    closers.push(server.close);
    const clock = new ManualClock(Date.now());
    const source = new HttpKeySource({
      url: server.url,
      format: 'jwks',
      ca: CA,
      now: () => clock.now(),
    });
    const verifier = new TokenVerifier(source, clock, { algorithms: ['RS256'] });
    const forged = await new SignJWT({ sub: 'mallory' })
      .setProtectedHeader({ alg: 'RS256', kid: 'unknown' })
      .sign(keys.privateKeys.known as CryptoKey);
    const good = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'known' })
      .setExpirationTime('10m')
      .sign(keys.privateKeys.known as CryptoKey);

    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await verifier.verify(forged));
    const accepted = await verifier.verify(good);

    expect(verdicts.map((v) => !v.ok && v.error.code)).toEqual(Array(5).fill('token_unknown_kid'));
    expect(accepted.ok).toBe(true);
    expect(server.requests).toBe(2);
  });

  it('reads an x509 certificate map, as Firebase publishes it, and verifies with it', async () => {
    const cert = fixture('../../domain/tests/fixtures/x509-test-only.cert.pem');
    const key = await importPKCS8(
      fixture('../../domain/tests/fixtures/x509-test-only.key.pem'),
      'RS256',
    );
    const server = await issuer({
      body: JSON.stringify({ 'cert-kid': cert }),
      cacheControl: 'max-age=19000',
    });
    closers.push(server.close);
    const source = new HttpKeySource({ url: server.url, format: 'x509', ca: CA });
    const verifier = new TokenVerifier(source, new ManualClock(Date.now()), {
      algorithms: ['RS256'],
    });
    const token = await new SignJWT({ sub: 'firebase-user' })
      .setProtectedHeader({ alg: 'RS256', kid: 'cert-kid' })
      .setExpirationTime('10m')
      .sign(key);

    const result = await verifier.verify(token);

    expect(result.ok && result.value.userId).toBe('firebase-user');
    expect((await source.load()).keys[0]).toMatchObject({ kind: 'x509', kid: 'cert-kid' });
  });

  it('gives up after its timeout with an error naming the URL', async () => {
    const server = await issuer({ body: '', hang: true });
    closers.push(server.close);
    const source = new HttpKeySource({ url: server.url, format: 'jwks', ca: CA, timeoutMs: 200 });

    const loading = source.load();

    await expect(loading).rejects.toBeInstanceOf(KeySourceError);
    await expect(loading).rejects.toThrow(`${server.url}: did not answer within 200 ms`);
  });

  it('says clearly when the issuer cannot be reached, or sends something else than keys', async () => {
    const server = await issuer({ body: 'not json' });
    const url = server.url;
    const notJson = new HttpKeySource({ url, format: 'jwks', ca: CA });
    await expect(notJson.load()).rejects.toThrow('did not return JSON');
    server.serve({ body: JSON.stringify({ keys: 'nope' }) });
    await expect(new HttpKeySource({ url, format: 'jwks', ca: CA }).load()).rejects.toThrow(
      /"keys" array/,
    );
    server.serve({
      body: JSON.stringify({
        keys: Array(3000).fill({ kty: 'RSA', n: 'x'.repeat(100), e: 'AQAB' }),
      }),
    });
    await expect(new HttpKeySource({ url, format: 'jwks', ca: CA }).load()).rejects.toThrow(
      /over 262144 bytes/,
    );
    await server.close();

    await expect(new HttpKeySource({ url, format: 'jwks', ca: CA }).load()).rejects.toThrow(
      /could not be reached/,
    );
  });

  it('refuses a certificate it does not trust', async () => {
    const server = await issuer({ body: (await jwks('k1')).body });
    closers.push(server.close);

    await expect(new HttpKeySource({ url: server.url, format: 'jwks' }).load()).rejects.toThrow(
      /could not be reached/,
    );
  });

  it('serves the last good keys for a while when the issuer goes down', async () => {
    const server = await issuer({ body: (await jwks('k1')).body, cacheControl: 'max-age=60' });
    closers.push(server.close);
    const clock = new ManualClock();
    const source = new HttpKeySource({
      url: server.url,
      format: 'jwks',
      ca: CA,
      now: () => clock.now(),
      maxStaleMs: 600_000,
    });
    await source.load();
    server.serve({ status: 500, body: '' });

    clock.advance(120_000);
    const stale = await source.load();
    clock.advance(700_000);

    expect(stale.keys.map((k) => k.kid)).toEqual(['k1']);
    await expect(source.load()).rejects.toBeInstanceOf(KeySourceError);
  });

  it('refuses a URL that is not https, saying that HTTPS is required', () => {
    expect(() => new HttpKeySource({ url: 'http://issuer.example/jwks', format: 'jwks' })).toThrow(
      ConfigurationError,
    );
    expect(() => new HttpKeySource({ url: 'ftp://issuer.example/jwks', format: 'jwks' })).toThrow(
      /must be an HTTPS URL/,
    );
  });

  it('fetches over plain HTTP from a loopback host, as from a local identity provider', async () => {
    const { body } = await jwks('local-1');
    const server = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;

    const keys = await new HttpKeySource({
      url: `http://localhost:${port}/jwks`,
      format: 'jwks',
    }).load();

    expect(keys.keys.map((key) => key.kid)).toEqual(['local-1']);
  });
});
