import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigurationError } from '@herald/domain';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiGatewayConnectionGateway, managementEndpoint } from '../src/apigateway/index.js';

const CREDENTIALS = {
  accessKeyId: 'AKIDCHAINTEST',
  secretAccessKey: 'chain-test-secret-key',
  sessionToken: 'session-token-from-the-chain',
};

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
  readonly signatureValid: boolean;
  readonly socket: number;
}

/** Recomputes the request's SigV4 signature over what arrived, with the known credentials. */
const verifySignature = async (
  request: IncomingMessage,
  body: Buffer,
  port: number,
): Promise<boolean> => {
  const authorization = request.headers.authorization ?? '';
  const signedNames = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
  const region = /Credential=[^/]+\/\d{8}\/([^/]+)\//.exec(authorization)?.[1] ?? '';
  const headers = Object.fromEntries(
    signedNames.map((name) => [name, String(request.headers[name] ?? '')]),
  );
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: CREDENTIALS,
    sha256: Hash.bind(null, 'sha256'),
  });
  const resigned = await signer.sign(
    new HttpRequest({
      method: request.method ?? '',
      protocol: 'http:',
      hostname: '127.0.0.1',
      port,
      path: request.url ?? '',
      headers,
      body,
    }),
    { signingDate },
  );
  return resigned.headers.authorization === authorization;
};

/** A loopback stand-in for API Gateway's management API that answers chosen statuses by connection id. */
const fakeManagementApi = async (statuses: Record<string, number> = {}) => {
  const seen: Seen[] = [];
  const sockets = new Map<unknown, number>();
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    if (!sockets.has(request.socket)) sockets.set(request.socket, sockets.size);
    const port = (server.address() as AddressInfo).port;
    seen.push({
      method: request.method ?? '',
      path: request.url ?? '',
      headers: request.headers,
      body: body.toString(),
      signatureValid: await verifySignature(request, body, port),
      socket: sockets.get(request.socket) ?? -1,
    });
    const id = decodeURIComponent((request.url ?? '').split('/@connections/')[1] ?? '');
    const status = statuses[id] ?? 200;
    const types: Record<number, string> = {
      403: 'ForbiddenException',
      410: 'GoneException',
      413: 'PayloadTooLargeException',
      429: 'LimitExceededException',
    };
    response.writeHead(status, {
      'content-type': 'application/json',
      ...(types[status] ? { 'x-amzn-errortype': types[status] } : {}),
    });
    response.end(
      status === 200 && request.method === 'GET'
        ? JSON.stringify({
            connectedAt: '2026-01-01T00:00:00.000Z',
            lastActiveAt: '2026-01-01T00:01:00.000Z',
            identity: { sourceIp: '203.0.113.9', userAgent: 'ua' },
          })
        : status === 200
          ? ''
          : JSON.stringify({ message: `status ${status}` }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
};

const bytes = (text: string) => new TextEncoder().encode(text);

describe('ApiGatewayConnectionGateway', () => {
  let api: Awaited<ReturnType<typeof fakeManagementApi>>;
  const saved = { ...process.env };
  beforeEach(() => {
    process.env.AWS_ACCESS_KEY_ID = CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = CREDENTIALS.secretAccessKey;
    process.env.AWS_SESSION_TOKEN = CREDENTIALS.sessionToken;
  });
  afterEach(async () => {
    process.env = { ...saved };
    await api?.close();
  });

  it('posts the payload to {stage}/@connections/{id}, signed with credentials from the standard chain', async () => {
    api = await fakeManagementApi();
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${api.url}/production`,
      region: 'eu-west-1',
    });

    const outcome = await gateway.post('L0SM9cOFvHcCIhw=', bytes('{"hello":"world"}'));
    gateway.close();

    expect(outcome).toBe('delivered');
    const [request] = api.seen;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/production/@connections/L0SM9cOFvHcCIhw%3D',
      body: '{"hello":"world"}',
    });
    expect(request?.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    expect(request?.headers.authorization).toContain(`Credential=${CREDENTIALS.accessKeyId}/`);
    expect(request?.headers.authorization).toContain('/eu-west-1/execute-api/aws4_request');
    expect(request?.signatureValid).toBe(true);
  });

  it('keeps connections alive: many posts share a few sockets', async () => {
    api = await fakeManagementApi();
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: api.url,
      region: 'us-east-1',
      maxSockets: 4,
    });

    const outcomes = await Promise.all(
      Array.from({ length: 40 }, (_, i) => gateway.post(`c${i}`, bytes('x'))),
    );
    gateway.close();

    expect(outcomes.every((outcome) => outcome === 'delivered')).toBe(true);
    expect(api.seen).toHaveLength(40);
    const sockets = new Set(api.seen.map((s) => s.socket)).size;
    expect(sockets).toBeGreaterThanOrEqual(1);
    expect(sockets).toBeLessThanOrEqual(4);
    expect(api.seen.every((s) => s.signatureValid)).toBe(true);
  });

  it('answers unreachable when the endpoint accepts a post and never answers, refuses it, or the gateway is closed', async () => {
    // Accepts the connection and reads the request, then says nothing.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    // A port nothing listens on: the one just freed.
    const spare = createServer();
    await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
    const refusedUrl = `http://127.0.0.1:${(spare.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => spare.close(() => resolve()));
    api = await fakeManagementApi();
    const gateways = [silentUrl, refusedUrl, api.url].map(
      (endpoint) =>
        new ApiGatewayConnectionGateway({ endpoint, region: 'us-east-1', timeoutMs: 300 }),
    );
    const [quiet, refused, closed] = gateways as [
      ApiGatewayConnectionGateway,
      ApiGatewayConnectionGateway,
      ApiGatewayConnectionGateway,
    ];
    closed.close();

    const outcomes = await Promise.all([
      quiet.post('c1', bytes('1')),
      refused.post('c1', bytes('1')),
      closed.post('c1', bytes('1')),
    ]);
    for (const gateway of gateways) gateway.close();
    silent.closeAllConnections();
    await new Promise<void>((resolve) => silent.close(() => resolve()));

    expect(outcomes).toEqual(['unreachable', 'unreachable', 'unreachable']);
    expect(api.seen).toHaveLength(0);
  });

  it('gives up on a post at timeoutMs, on a precise timer rather than the pool clock', async () => {
    // Accepts posts and never answers. Eight posts start 125 ms apart, so
    // they fall at every phase of undici's own timer clock, which ticks every
    // half second and would end some of them up to a tick late.
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    api = {
      url: '',
      seen: [],
      close: () =>
        new Promise<void>((resolve) => {
          silent.closeAllConnections();
          silent.close(() => resolve());
        }),
    };
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      region: 'us-east-1',
      timeoutMs: 1000,
    });

    const posts = Array.from({ length: 8 }, async (_, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * 125));
      const startedAt = performance.now();
      const outcome = await gateway.post(`c${i}`, bytes('1'));
      return { outcome, elapsedMs: performance.now() - startedAt };
    });
    const results = await Promise.all(posts);
    gateway.close();

    for (const { outcome, elapsedMs } of results) {
      expect(outcome).toBe('unreachable');
      expect(elapsedMs).toBeGreaterThanOrEqual(990);
      expect(elapsedMs).toBeLessThan(1350);
    }
  });

  it('maps API Gateway answers to the domain: 410 gone, 429 and 5xx throttled, 413 too large', async () => {
    api = await fakeManagementApi({ gone: 410, busy: 429, broken: 503, big: 413 });
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${api.url}/dev`,
      region: 'us-east-1',
    });

    const outcomes = await Promise.all(
      ['ok', 'gone', 'busy', 'broken', 'big'].map((id) => gateway.post(id, bytes('1'))),
    );
    gateway.close();

    expect(outcomes).toEqual(['delivered', 'gone', 'throttled', 'throttled', 'payload_too_large']);
  });

  it('turns 403 into a configuration error that names the endpoint and the IAM action', async () => {
    api = await fakeManagementApi({ denied: 403 });
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${api.url}/dev`,
      region: 'us-east-1',
    });

    const post = gateway.post('denied', bytes('1'));
    const get = gateway.get('denied');
    const disconnect = gateway.disconnect('denied');

    for (const call of [post, get, disconnect]) {
      await expect(call).rejects.toBeInstanceOf(ConfigurationError);
      await expect(call).rejects.toThrow(/execute-api:ManageConnections/);
    }
    gateway.close();
  });

  it('gets and deletes through the SDK, with 410 as gone', async () => {
    api = await fakeManagementApi({ gone: 410 });
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${api.url}/dev`,
      region: 'us-east-1',
    });

    const info = await gateway.get('here');
    const missing = await gateway.get('gone');
    const deleted = await gateway.disconnect('here');
    const already = await gateway.disconnect('gone');
    gateway.close();

    expect(info).toEqual({
      connectionId: 'here',
      connectedAt: Date.parse('2026-01-01T00:00:00.000Z'),
      lastActiveAt: Date.parse('2026-01-01T00:01:00.000Z'),
      sourceIp: '203.0.113.9',
      userAgent: 'ua',
    });
    expect([missing, deleted, already]).toEqual([undefined, 'disconnected', 'gone']);
    expect(api.seen.map((s) => `${s.method} ${s.path}`)).toContain('DELETE /dev/@connections/here');
  });

  it('posts under a custom domain base path', async () => {
    api = await fakeManagementApi();
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${api.url}/realtime/v1/`,
      region: 'us-east-1',
    });

    await gateway.post('abc', bytes('1'));
    gateway.close();

    expect(api.seen[0]?.path).toBe('/realtime/v1/@connections/abc');
  });

  it('refuses a custom domain without a region, and a malformed endpoint', () => {
    delete process.env.AWS_REGION;

    expect(
      () => new ApiGatewayConnectionGateway({ endpoint: 'https://ws.example.com/live' }),
    ).toThrow(ConfigurationError);
    expect(
      () => new ApiGatewayConnectionGateway({ endpoint: 'not a url', region: 'us-east-1' }),
    ).toThrow(ConfigurationError);
  });
});

describe('managementEndpoint', () => {
  it('puts the stage in the path on the execute-api domain', () => {
    expect(
      managementEndpoint({
        domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
        stage: 'prod',
      }),
    ).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com/prod');
  });

  it('uses the base path, not the stage, on a custom domain', () => {
    expect(
      managementEndpoint({ domainName: 'ws.example.com', stage: 'prod', basePath: '/realtime/' }),
    ).toBe('https://ws.example.com/realtime');
    expect(managementEndpoint({ domainName: 'ws.example.com', stage: 'prod' })).toBe(
      'https://ws.example.com',
    );
  });
});
