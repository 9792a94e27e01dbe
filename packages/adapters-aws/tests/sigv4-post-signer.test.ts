import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SigV4PostSigner } from '../src/apigateway/sigv4-post-signer.js';

const SIGNED = ['authorization', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256'];
const DAY = 86_400_000;

/** What the SDK's own signer produces for the same post. */
const smithySigned = async (
  post: { host: string; path: string; payload: Uint8Array },
  region: string,
  credentials: AwsCredentialIdentity,
  at: number,
): Promise<Record<string, string | undefined>> => {
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      protocol: 'https:',
      hostname: post.host.replace(/:\d+$/, ''),
      path: post.path,
      headers: { host: post.host, 'content-length': String(post.payload.byteLength) },
      body: post.payload,
    }),
    { signingDate: new Date(at) },
  );
  return Object.fromEntries(SIGNED.map((name) => [name, signed.headers[name]]));
};

const pick = (headers: Record<string, string>) =>
  Object.fromEntries(SIGNED.map((name) => [name, headers[name]]));

/** Path segments as a URL's pathname holds them: percent-encoded text, or the odd `.`, `..` and empty ones. */
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }).map(encodeURIComponent) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9!'()*~._-]{1,10}$/) },
  { weight: 1, arbitrary: fc.constantFrom('.', '..', '', '%2F', '%25') },
);
const post = fc.record({
  host: fc.oneof(
    fc.constantFrom('abc123.execute-api.eu-west-1.amazonaws.com', 'ws.example.com'),
    fc
      .tuple(fc.domain(), fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }))
      .map(([name, port]) => (port === undefined ? name : `${name}:${port}`)),
  ),
  path: fc
    .tuple(
      fc.array(segment, { maxLength: 4 }),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }),
      fc.boolean(),
    )
    .map(
      ([base, connectionId, trailing]) =>
        `${base.map((s) => `/${s}`).join('')}/@connections/${encodeURIComponent(connectionId)}${trailing ? '/' : ''}`,
    ),
  payload: fc.uint8Array({ maxLength: 2048 }),
});
const credentials = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 40 }),
    sessionToken: fc.oneof(
      fc.base64String({ minLength: 4, maxLength: 400 }),
      fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
      fc.constant(''),
    ),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);
const region = fc.oneof(
  fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'cn-north-1', 'us-gov-west-1'),
  fc.stringMatching(/^[a-z]{2}-[a-z]{4,9}-[1-9]$/),
);
/** Any instant from 2000 to 2099, or one within two seconds of a UTC midnight. */
const instant = fc.oneof(
  fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) }),
  fc
    .tuple(fc.integer({ min: 10_957, max: 47_481 }), fc.integer({ min: -2000, max: 2000 }))
    .map(([day, offset]) => day * DAY + offset),
);

describe('SigV4PostSigner', () => {
  it('signs every post exactly as @smithy/signature-v4 does', async () => {
    await fc.assert(
      fc.asyncProperty(post, credentials, region, instant, async (p, creds, where, at) => {
        const signer = new SigV4PostSigner({ region: where, credentials: creds, now: () => at });

        const ours = pick(await signer.sign(p));
        const theirs = await smithySigned(p, where, creds, at);

        expect(ours).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
  });

  it('re-derives its key across a day boundary and keeps matching the SDK', async () => {
    await fc.assert(
      fc.asyncProperty(post, credentials, region, instant, async (p, creds, where, start) => {
        let now = start;
        const signer = new SigV4PostSigner({ region: where, credentials: creds, now: () => now });
        const signatures: Record<string, string | undefined>[] = [];
        const expected: Record<string, string | undefined>[] = [];

        for (const step of [0, DAY / 2, DAY / 2, 1000, DAY]) {
          now += step;
          signatures.push(pick(await signer.sign(p)));
          expected.push(await smithySigned(p, where, creds, now));
        }

        expect(signatures).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('sends the session token only when the credentials have one', async () => {
    const at = Date.UTC(2026, 11, 1, 12);
    const p = { host: 'ws.example.com', path: '/live/@connections/a', payload: new Uint8Array(3) };
    const withToken = new SigV4PostSigner({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
      now: () => at,
    });
    const without = new SigV4PostSigner({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' },
      now: () => at,
    });

    const [a, b] = await Promise.all([withToken.sign(p), without.sign(p)]);

    expect(a['x-amz-security-token']).toBe('token');
    expect(a.authorization).toContain(
      'SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,',
    );
    expect(b).not.toHaveProperty('x-amz-security-token');
    expect(b.authorization).toContain(
      'SignedHeaders=content-length;host;x-amz-content-sha256;x-amz-date,',
    );
  });
});

describe('SigV4PostSigner with expiring credentials', () => {
  const HOUR = 3_600_000;
  const start = Date.UTC(2026, 11, 1, 10);
  const p = {
    host: 'ws.example.com',
    path: '/live/@connections/c1',
    payload: new Uint8Array([1, 2]),
  };

  /** A provider like Lambda's role credentials: each call gives new keys that expire in an hour. */
  const rotatingProvider = (clock: { now: number }) => {
    const issued: AwsCredentialIdentity[] = [];
    const provider = async () => {
      const n = issued.length + 1;
      const credentials = {
        accessKeyId: `ASIAROLE${n}`,
        secretAccessKey: `role-secret-${n}`,
        sessionToken: `role-token-${n}`,
        expiration: new Date(clock.now + HOUR),
      };
      issued.push(credentials);
      return credentials;
    };
    return { provider, issued };
  };

  it('fetches credentials once while they are good, and again before they expire', async () => {
    const clock = { now: start };
    const { provider, issued } = rotatingProvider(clock);
    const signer = new SigV4PostSigner({
      region: 'eu-west-1',
      credentials: provider,
      now: () => clock.now,
    });

    const first = await signer.sign(p);
    clock.now = start + 30 * 60_000;
    const second = await signer.sign(p);
    clock.now = start + 56 * 60_000;
    const third = await signer.sign(p);

    expect(issued).toHaveLength(2);
    expect(first.authorization).toContain('Credential=ASIAROLE1/');
    expect(second.authorization).toContain('Credential=ASIAROLE1/');
    expect(third.authorization).toContain('Credential=ASIAROLE2/');
    expect(third['x-amz-security-token']).toBe('role-token-2');
    expect(pick(third)).toEqual(
      await smithySigned(p, 'eu-west-1', issued[1] as AwsCredentialIdentity, clock.now),
    );
  });

  it('derives a new key when the secret changes under the same access key id', async () => {
    const clock = { now: start };
    let secret = 'first-secret';
    const provider = async () => ({
      accessKeyId: 'ASIASAME',
      secretAccessKey: secret,
      expiration: new Date(clock.now + 10 * 60_000),
    });
    const signer = new SigV4PostSigner({
      region: 'us-east-1',
      credentials: provider,
      now: () => clock.now,
    });

    await signer.sign(p);
    secret = 'second-secret';
    clock.now += 6 * 60_000;
    const signed = await signer.sign(p);

    expect(pick(signed)).toEqual(
      await smithySigned(
        p,
        'us-east-1',
        { accessKeyId: 'ASIASAME', secretAccessKey: 'second-secret' },
        clock.now,
      ),
    );
  });

  it('shares one credential fetch among concurrent posts', async () => {
    const clock = { now: start };
    const { provider, issued } = rotatingProvider(clock);
    const signer = new SigV4PostSigner({
      region: 'eu-west-1',
      credentials: provider,
      now: () => clock.now,
    });

    const signed = await Promise.all(Array.from({ length: 20 }, () => signer.sign(p)));

    expect(issued).toHaveLength(1);
    expect(new Set(signed.map((h) => h.authorization)).size).toBe(1);
  });

  it('keeps unexpired credentials when a refresh fails, and fails once they have expired', async () => {
    const clock = { now: start };
    let calls = 0;
    const provider = async () => {
      calls += 1;
      if (calls > 1) throw new Error('metadata endpoint down');
      return {
        accessKeyId: 'ASIAONCE',
        secretAccessKey: 'once',
        expiration: new Date(start + HOUR),
      };
    };
    const signer = new SigV4PostSigner({
      region: 'eu-west-1',
      credentials: provider,
      now: () => clock.now,
    });

    await signer.sign(p);
    clock.now = start + HOUR - 60_000;
    const late = await signer.sign(p);
    clock.now = start + HOUR + 1;
    const expired = signer.sign(p);

    expect(late.authorization).toContain('Credential=ASIAONCE/');
    await expect(expired).rejects.toThrow('metadata endpoint down');
    expect(calls).toBe(3);
  });
});
