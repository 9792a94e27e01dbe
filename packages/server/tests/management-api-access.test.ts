import { request as httpRequest } from 'node:http';
import { Logger } from '@aws-lambda-powertools/logger';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SigV4AccessKey } from '../src/index.js';
import { type Client, connect, startServer, token } from './helpers.js';

const BACKEND_KEY = 'backend-key-for-tests';
const KEY: SigV4AccessKey = {
  accessKeyId: 'AKIDMANAGEMENT01',
  secretAccessKey: 'management-secret-that-must-never-be-echoed',
};
const TEMPORARY: SigV4AccessKey = {
  accessKeyId: 'ASIATEMPORARY001',
  secretAccessKey: 'temporary-secret-that-must-never-be-echoed',
  sessionToken: 'session-token-of-the-temporary-key',
};

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.server.stop();
  started = undefined;
});

const startAnyMode = () =>
  startServer({ managementApi: 'any', managementAccessKeys: [KEY, TEMPORARY] });

const sdkClient = (
  endpoint: string,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = KEY,
) =>
  new ApiGatewayManagementApiClient({ endpoint, region: 'eu-west-3', credentials, maxAttempts: 1 });

const connectedClient = async (s: Started, userId = 'm-user'): Promise<[Client, string]> => {
  const client = await connect(`${s.wsUrl}/?authorization=${await token({ sub: userId })}`);
  client.send({ action: 'ping' });
  const { connectionId } = (await client.json()) as { connectionId: string };
  return [client, connectionId];
};

interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

interface RawAnswer {
  status: number;
  errorType: string | undefined;
  body: string;
}

/** Sends exactly these bytes and headers (fetch would add and normalise some). */
const send = (url: string, raw: RawRequest) =>
  new Promise<RawAnswer>((resolve, reject) => {
    const { hostname, port } = new URL(url);
    const outgoing = httpRequest(
      {
        hostname,
        port,
        method: raw.method,
        path: raw.path,
        setHost: false,
        headers: { ...raw.headers, 'content-length': String(raw.body.length) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            errorType: response.headers['x-amzn-errortype'] as string | undefined,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(raw.body);
  });

/** A request signed by the SDK's signer, as a client signs it. */
const signed = async (
  url: string,
  {
    method = 'POST',
    path,
    body = '',
    key = KEY,
    signingDate = new Date(),
    payloadHashHeader = true,
    extraHeaders = {},
  }: {
    method?: string;
    path: string;
    body?: string;
    key?: SigV4AccessKey;
    signingDate?: Date;
    payloadHashHeader?: boolean;
    extraHeaders?: Record<string, string>;
  },
): Promise<RawRequest> => {
  const { host } = new URL(url);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: 'us-east-1',
    credentials: key,
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: payloadHashHeader,
  });
  const result = await signer.sign(
    new HttpRequest({
      method,
      path,
      headers: { host, 'content-type': 'application/json', ...extraHeaders },
      body: Buffer.from(body),
    }),
    { signingDate },
  );
  return { method, path, headers: { ...result.headers }, body: Buffer.from(body) };
};

describe('Management API answering any caller', () => {
  it('serves the stock ApiGatewayManagementApiClient signing with a configured key pair', async () => {
    started = await startAnyMode();
    const [client, connectionId] = await connectedClient(started);
    const api = sdkClient(`${started.url}/local`);

    await api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"s":1}' }));
    const info = await api.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));

    expect(await client.next(1)).toEqual(['{"s":1}']);
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    await client.closed;
  });

  it('serves temporary credentials that carry their session token', async () => {
    started = await startAnyMode();
    const [client, connectionId] = await connectedClient(started);

    await sdkClient(started.url, TEMPORARY).send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'temporary' }),
    );
    const withoutToken = sdkClient(started.url, {
      accessKeyId: TEMPORARY.accessKeyId,
      secretAccessKey: TEMPORARY.secretAccessKey,
    }).send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'no token' }));

    await expect(withoutToken).rejects.toBeInstanceOf(ForbiddenException);
    await client.roundTrip();
    expect(client.received.filter((m) => !m.includes('"pong"'))).toEqual(['temporary']);
  });

  it.each([
    {
      what: 'a wrong secret',
      credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey: 'not-the-secret' },
      errorType: 'InvalidSignatureException',
    },
    {
      what: 'an unknown access key',
      credentials: { accessKeyId: 'AKIDUNKNOWN00001', secretAccessKey: KEY.secretAccessKey },
      errorType: 'ForbiddenException',
    },
  ])('refuses $what with 403 $errorType', async ({ credentials, errorType }) => {
    started = await startAnyMode();
    const [client, connectionId] = await connectedClient(started);

    const call = sdkClient(started.url, credentials).send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'forged' }),
    );

    const error = (await call.then(
      () => undefined,
      (e: unknown) => e,
    )) as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    expect(error?.name).toBe(errorType);
    expect(error?.$metadata?.httpStatusCode).toBe(403);
    expect(error?.message).not.toContain(KEY.secretAccessKey);
    await client.roundTrip();
    expect(client.received.some((m) => m === 'forged')).toBe(false);
  });

  it('refuses a request signed more than 5 minutes ago with InvalidSignatureException', async () => {
    started = await startAnyMode();
    const [, connectionId] = await connectedClient(started);
    const path = `/local/@connections/${encodeURIComponent(connectionId)}`;
    const stale = await signed(started.url, {
      path,
      body: 'late',
      signingDate: new Date(Date.now() - 6 * 60_000),
    });
    const recent = await signed(started.url, {
      path,
      body: 'on time',
      signingDate: new Date(Date.now() - 4 * 60_000),
    });

    const [staleAnswer, recentAnswer] = [
      await send(started.url, stale),
      await send(started.url, recent),
    ];

    expect(staleAnswer).toMatchObject({ status: 403, errorType: 'InvalidSignatureException' });
    expect(JSON.parse(staleAnswer.body).message).toMatch(/expired/i);
    expect(recentAnswer.status).toBe(200);
  });

  it.each([{ payloadHashHeader: true }, { payloadHashHeader: false }])(
    'refuses a tampered body (x-amz-content-sha256 sent: $payloadHashHeader)',
    async ({ payloadHashHeader }) => {
      started = await startAnyMode();
      const [client, connectionId] = await connectedClient(started);
      const request = await signed(started.url, {
        path: `/local/@connections/${encodeURIComponent(connectionId)}`,
        body: '{"amount":1}',
        payloadHashHeader,
      });

      const answer = await send(started.url, { ...request, body: Buffer.from('{"amount":9}') });

      expect(answer).toMatchObject({ status: 403, errorType: 'InvalidSignatureException' });
      await client.roundTrip();
      expect(client.received.some((m) => m.includes('amount'))).toBe(false);
    },
  );

  it('refuses a call without Authorization with ForbiddenException, from loopback too', async () => {
    started = await startAnyMode();
    const [client, connectionId] = await connectedClient(started);

    const answer = await fetch(`${started.url}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST',
      body: 'anonymous',
    });

    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(await answer.json()).toEqual({ message: expect.stringMatching(/Authentication/) });
    await client.roundTrip();
    expect(client.received.some((m) => m === 'anonymous')).toBe(false);
  });

  it('accepts the backend key as a bearer, and refuses another key', async () => {
    started = await startAnyMode();
    const [client, connectionId] = await connectedClient(started);
    const url = `${started.url}/local/@connections/${encodeURIComponent(connectionId)}`;
    const postWith = (key: string, body: string) =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body });

    const wrong = await postWith('not-the-backend-key', 'wrong');
    const right = await postWith(BACKEND_KEY, 'right');

    expect(wrong.status).toBe(403);
    expect(wrong.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(right.status).toBe(200);
    expect(await client.next(1)).toEqual(['right']);
  });

  it('refuses every mutation of a validly signed request, and accepts it unchanged', async () => {
    started = await startAnyMode();
    const s = started;
    const [client, connectionId] = await connectedClient(s);
    const path = `/local/@connections/${encodeURIComponent(connectionId)}`;
    const delivered: string[] = [];
    const canonical = (value: string) => value.replace(/[ \t]+/g, ' ').trim();
    const printable = fc.string({
      unit: fc.integer({ min: 0x21, max: 0x7e }).map(String.fromCharCode),
    });
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant('method' as const),
        method: fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH'),
      }),
      fc.record({
        kind: fc.constant('path' as const),
        path: fc.oneof(
          fc
            .stringMatching(/^[a-z]{1,8}$/)
            .filter((stage) => stage !== 'local')
            .map((stage) => `/${stage}/@connections/${encodeURIComponent(connectionId)}`),
          fc.constant(`/@connections/${encodeURIComponent(connectionId)}`),
          fc.constant(
            `/local/@connections/${encodeURIComponent(`${connectionId.slice(0, -2)}A=`)}`,
          ),
          printable.map((extra) => `${path}?q=${encodeURIComponent(extra)}`),
        ),
      }),
      fc.record({
        kind: fc.constant('header' as const),
        name: fc.constantFrom('host', 'x-amz-date', 'x-amz-content-sha256', 'content-type'),
        value: fc.option(printable, { nil: undefined }),
      }),
      fc.record({
        kind: fc.constant('body' as const),
        index: fc.nat(),
        byte: fc.option(fc.integer({ min: 0x20, max: 0x7e }), { nil: undefined }),
      }),
    );

    await fc.assert(
      fc.asyncProperty(printable, mutation, async (body, change) => {
        const original = await signed(s.url, { path, body });
        const mutated: RawRequest = { ...original, headers: { ...original.headers } };
        if (change.kind === 'method') mutated.method = change.method;
        if (change.kind === 'path') mutated.path = change.path;
        if (change.kind === 'header') {
          if (change.value === undefined) delete mutated.headers[change.name];
          else mutated.headers[change.name] = change.value;
        }
        if (change.kind === 'body') {
          const bytes = Buffer.from(original.body);
          const at = bytes.length === 0 ? 0 : change.index % bytes.length;
          mutated.body =
            change.byte === undefined
              ? Buffer.concat([bytes, Buffer.from('!')])
              : bytes.length === 0
                ? Buffer.from([change.byte])
                : Buffer.concat([
                    bytes.subarray(0, at),
                    Buffer.from([change.byte]),
                    bytes.subarray(at + 1),
                  ]);
        }
        const unchanged =
          mutated.method === original.method &&
          mutated.path === original.path &&
          mutated.body.equals(original.body) &&
          Object.keys(original.headers).every(
            (name) =>
              mutated.headers[name] !== undefined &&
              canonical(mutated.headers[name] ?? '') === canonical(original.headers[name] ?? ''),
          );
        fc.pre(!unchanged);

        const refused = await send(s.url, mutated);
        const accepted = await send(s.url, original);
        delivered.push(body);

        expect(refused.status).toBeGreaterThanOrEqual(400);
        expect(refused.status).toBeLessThan(500);
        expect(accepted.status).toBe(200);
      }),
      { numRuns: 60 },
    );

    await client.roundTrip();
    expect(client.received.filter((m) => !m.includes('"pong"'))).toEqual(
      delivered.filter((m) => !m.includes('"pong"')),
    );
  }, 30_000);
});

describe('Management API answering loopback callers', () => {
  it('still needs no credential', async () => {
    started = await startServer({ managementAccessKeys: [KEY] });
    const [client, connectionId] = await connectedClient(started);

    const answer = await fetch(`${started.url}/@connections/${encodeURIComponent(connectionId)}`, {
      method: 'POST',
      body: 'unsigned',
    });

    expect(answer.status).toBe(200);
    expect(await client.next(1)).toEqual(['unsigned']);
  });
});

describe('Management API, a connection id that is not valid percent-encoding', () => {
  const MALFORMED = '/local/@connections/%E0%A4%A';

  const startLogged = async (options: Parameters<typeof startServer>[0]) => {
    const logger = new Logger({ serviceName: 'herald-test', logLevel: 'SILENT' });
    const errors = vi.spyOn(logger, 'error');
    return { s: await startServer({ logger, ...options }), errors };
  };

  it('is a 400 BadRequestException for an allowed caller, with no error logged', async () => {
    const { s, errors } = await startLogged({});
    started = s;

    const answer = await fetch(`${s.url}${MALFORMED}`, { method: 'POST', body: 'x' });

    expect(answer.status).toBe(400);
    expect(answer.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect(await answer.json()).toEqual({ message: expect.any(String) });
    expect(errors).not.toHaveBeenCalled();
  });

  it('is a 400 for a caller with a valid signature', async () => {
    const { s, errors } = await startLogged({ managementApi: 'any', managementAccessKeys: [KEY] });
    started = s;

    const answer = await send(s.url, await signed(s.url, { path: MALFORMED, body: 'x' }));

    expect(answer).toMatchObject({ status: 400, errorType: 'BadRequestException' });
    expect(errors).not.toHaveBeenCalled();
  });

  it.each([
    { what: 'the management API is off', options: { managementApi: 'off' as const } },
    {
      what: 'the caller presents no credential',
      options: { managementApi: 'any' as const, managementAccessKeys: [KEY] },
    },
  ])('is refused with 403 first when $what', async ({ options }) => {
    const { s, errors } = await startLogged(options);
    started = s;

    const answer = await fetch(`${s.url}${MALFORMED}`, { method: 'DELETE' });

    expect(answer.status).toBe(403);
    expect(answer.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
    expect(errors).not.toHaveBeenCalled();
  });
});
