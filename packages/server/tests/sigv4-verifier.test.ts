import { ConfigurationError } from '@herald/domain';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { describe, expect, it } from 'vitest';
import {
  parseSigV4AccessKeys,
  type SigV4AccessKey,
  type SigV4Request,
  SigV4Verifier,
} from '../src/sigv4-verifier.js';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const clock = { now: () => NOW, sleep: async () => undefined };
const KEY: SigV4AccessKey = { accessKeyId: 'AKIDVERIFIER0001', secretAccessKey: 'verifier-secret' };

/** A request as the SDK's signer signs it, then as the server receives it. */
const signedRequest = async (
  options: {
    key?: SigV4AccessKey;
    service?: string;
    target?: string;
    body?: string;
    signingDate?: Date;
  } = {},
): Promise<SigV4Request> => {
  const {
    key = KEY,
    service = 'execute-api',
    target = '/prod/@connections/abc%3D',
    body = 'hi',
  } = options;
  const [path = '', query = ''] = target.split('?');
  const signer = new SignatureV4({
    service,
    region: 'ap-south-1',
    credentials: key,
    sha256: Hash.bind(null, 'sha256'),
  });
  const signed = await signer.sign(
    new HttpRequest({
      method: 'POST',
      path,
      query: Object.fromEntries(new URLSearchParams(query)),
      headers: { host: 'herald.example:8080' },
      body: Buffer.from(body),
    }),
    { signingDate: options.signingDate ?? new Date(NOW) },
  );
  const headers = Object.fromEntries(
    Object.entries(signed.headers).map(([name, value]) => [name.toLowerCase(), value]),
  );
  return { method: 'POST', target, headers, body: async () => Buffer.from(body) };
};

describe('SigV4Verifier', () => {
  it('accepts a request the SDK signed, query included, and names the key and region', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });

    const outcome = await verifier.verify(
      await signedRequest({ target: '/prod/@connections/abc%3D?b=2&a=x%20y' }),
    );

    expect(outcome).toEqual({ ok: true, accessKeyId: KEY.accessKeyId, region: 'ap-south-1' });
  });

  it('refuses a scope for another service', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });

    const outcome = await verifier.verify(await signedRequest({ service: 's3' }));

    expect(outcome).toMatchObject({ ok: false, code: 'wrong_credential_scope' });
  });

  it('refuses a session token for a key that has none', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });

    const outcome = await verifier.verify(
      await signedRequest({ key: { ...KEY, sessionToken: 'invented' } }),
    );

    expect(outcome).toMatchObject({
      ok: false,
      code: 'session_token_mismatch',
      errorType: 'ForbiddenException',
    });
  });

  it('allows a clock skew of 5 minutes either way, and no more', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });
    const at = (offsetMs: number) => signedRequest({ signingDate: new Date(NOW + offsetMs) });

    const outcomes = await Promise.all(
      [-300_000, 300_000, -301_000, 301_000].map(async (offset) =>
        verifier.verify(await at(offset)),
      ),
    );

    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual([
      'ok',
      'ok',
      'request_expired',
      'request_expired',
    ]);
  });

  it('reads the body only once the headers passed', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });
    const request = await signedRequest();
    let reads = 0;

    const outcome = await verifier.verify({
      ...request,
      headers: {
        ...request.headers,
        authorization: request.headers.authorization?.replace(KEY.accessKeyId, 'AKIDSOMEONEELSE1'),
      },
      body: async () => {
        reads += 1;
        return Buffer.from('hi');
      },
    });

    expect(outcome).toMatchObject({ ok: false, code: 'unknown_access_key' });
    expect(reads).toBe(0);
  });

  it('never puts the secret in a refusal', async () => {
    const verifier = new SigV4Verifier([KEY], { clock });

    const outcome = await verifier.verify(
      await signedRequest({ key: { ...KEY, secretAccessKey: 'another-secret' } }),
    );

    expect(outcome).toMatchObject({ ok: false, code: 'signature_mismatch' });
    expect(JSON.stringify(outcome)).not.toContain(KEY.secretAccessKey);
  });
});

describe('parseSigV4AccessKeys', () => {
  it('reads ID:SECRET and ID:SECRET:TOKEN pairs', () => {
    expect(parseSigV4AccessKeys('keys', 'AKIDA:s3cr/t+=, ASIAB:secret:tok/en=')).toEqual([
      { accessKeyId: 'AKIDA', secretAccessKey: 's3cr/t+=' },
      { accessKeyId: 'ASIAB', secretAccessKey: 'secret', sessionToken: 'tok/en=' },
    ]);
  });

  it.each(['AKIDA', 'AKIDA:', ':secret', 'AKIDA:secret:token:more', 'AKIDA:one,AKIDA:two'])(
    'refuses %j without echoing a secret',
    (text) => {
      const error = (() => {
        try {
          parseSigV4AccessKeys('managementAccessKeys', text);
        } catch (caught) {
          return caught;
        }
      })();

      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).setting).toBe('managementAccessKeys');
      for (const secret of ['secret', 'one', 'two', 'token', 'more'])
        expect((error as Error).message).not.toContain(secret);
    },
  );
});
