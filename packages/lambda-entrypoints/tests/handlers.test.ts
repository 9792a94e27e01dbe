import { ConfigurationError, StoreUnavailableError } from '@herald/domain';
import type { APIGatewayRequestAuthorizerEvent, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  loadConfig,
  makeAuthorizerHandler,
  makeClientActionHandler,
  makeConnectHandler,
  makeDisconnectHandler,
  makeNotificationsHandler,
  makePresenceHandler,
  makePresenceQueryHandler,
} from '../src/index.js';
import { lambdaContext, streamRecord, testServices, token, wsEvent } from './support.js';

const authorizerEvent = (
  fields: Partial<APIGatewayRequestAuthorizerEvent>,
): APIGatewayRequestAuthorizerEvent =>
  ({
    type: 'REQUEST',
    methodArn: 'arn:aws:execute-api:us-east-1:123456789012:abc/test/$connect',
    headers: {},
    queryStringParameters: {},
    ...fields,
  }) as APIGatewayRequestAuthorizerEvent;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('authorizer', () => {
  it('allows a token from any carrier, with a context of strings only', async () => {
    const { services } = testServices();
    const authorize = makeAuthorizerHandler({
      verifier: services.verifier(),
      logger: services.logger,
    });
    const jwt = await token({ sub: 'alice', channels: ['room-1', 'room-2'] });

    const results = await Promise.all([
      authorize(authorizerEvent({ queryStringParameters: { authorization: jwt } })),
      authorize(authorizerEvent({ queryStringParameters: { token: jwt } })),
      authorize(authorizerEvent({ headers: { Authorization: `Bearer ${jwt}` } })),
      authorize(authorizerEvent({ headers: { 'Sec-WebSocket-Protocol': `herald, ${jwt}` } })),
    ]);

    for (const result of results) {
      expect(result.policyDocument.Statement[0]).toMatchObject({ Effect: 'Allow' });
      expect(result.principalId).toBe('alice');
      expect(
        Object.values(result.context ?? {}).every((v) =>
          ['string', 'number', 'boolean'].includes(typeof v),
        ),
      ).toBe(true);
      expect(JSON.parse(String(result.context?.channels))).toEqual(['room-1', 'room-2']);
    }
    expect(results[3]?.context?.protocol).toBe('herald');
  });

  it('answers Unauthorized without a token, denies a bad one, and never logs the token', async () => {
    const { services } = testServices();
    const authorize = makeAuthorizerHandler({
      verifier: services.verifier(),
      logger: services.logger,
    });
    const expired = await token({}, -10);
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });

    const missing = await authorize(authorizerEvent({})).catch((error: Error) => error.message);
    const denied = await authorize(
      authorizerEvent({ queryStringParameters: { authorization: expired } }),
    );

    expect(missing).toBe('Unauthorized');
    expect(denied.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(written.join('')).toContain('token_expired');
    expect(written.join('')).not.toContain(expired);
  });
});

describe('connect and disconnect', () => {
  it('registers the connection with the authorizer context and echoes the chosen subprotocol', async () => {
    const { services } = testServices();
    const connect = makeConnectHandler({ registry: services.registry(), logger: services.logger });

    const result = await connect(
      wsEvent('$connect', 'c1', undefined, {
        authorizer: { userId: 'alice', channels: '["room-1"]', protocol: 'herald' },
      }),
    );

    expect(result).toEqual({ statusCode: 200, headers: { 'Sec-WebSocket-Protocol': 'herald' } });
    expect(await services.registry().get('c1')).toMatchObject({
      userId: 'alice',
      allowedChannels: ['room-1'],
    });
  });

  it('refuses a $connect that reached it without an authorizer context', async () => {
    const { services } = testServices();
    const connect = makeConnectHandler({ registry: services.registry(), logger: services.logger });

    expect(await connect(wsEvent('$connect', 'c1'))).toEqual({ statusCode: 403 });
  });

  it('removes the connection on $disconnect', async () => {
    const { services } = testServices();
    const registry = services.registry();
    await registry.connect('c1', { userId: 'alice', channels: [], claims: {} });

    await makeDisconnectHandler({ registry, logger: services.logger })(
      wsEvent('$disconnect', 'c1'),
    );

    expect(await registry.get('c1')).toBeUndefined();
  });
});

describe('client actions', () => {
  const setup = async () => {
    const world = testServices();
    const { services, gateway } = world;
    gateway.open('c1');
    await services.registry().connect('c1', { userId: 'alice', channels: ['room-1'], claims: {} });
    const act = makeClientActionHandler({
      registry: services.registry(),
      publisher: services.publisher(),
      gatewayFor: services.gatewayFor(),
      logger: services.logger,
    });
    const replies = () => gateway.received('c1').map((m) => JSON.parse(m));
    return { ...world, act, replies };
  };

  it('answers ping with pong, and subscribe only to allowed channels', async () => {
    const { act, replies } = await setup();

    await act(wsEvent('ping', 'c1', { action: 'ping' }));
    await act(wsEvent('subscribe', 'c1', { action: 'subscribe', channel: 'room-1' }));
    await act(wsEvent('subscribe', 'c1', { action: 'subscribe', channel: 'room-2' }));
    await act(wsEvent('unsubscribe', 'c1', { action: 'unsubscribe', channel: 'room-1' }));

    expect(replies()).toEqual([
      { type: 'pong', connectionId: 'c1' },
      { type: 'subscribed', channel: 'room-1' },
      expect.objectContaining({ type: 'error', code: 'channel_not_allowed' }),
      { type: 'unsubscribed', channel: 'room-1' },
    ]);
  });

  it('answers unknown actions and bad JSON with error frames ($default)', async () => {
    const { act, replies } = await setup();

    const results = [
      await act(wsEvent('$default', 'c1', { action: 'dance' })),
      await act(wsEvent('$default', 'c1', 'not json')),
    ];

    expect(results).toEqual([{ statusCode: 200 }, { statusCode: 200 }]);
    expect(replies().map((r) => r.code)).toEqual(['unknown_action', 'bad_request']);
  });

  it('forwards send and publish with their attributes, and reports a failing output', async () => {
    const { act, publisher, replies } = await setup();

    await act(wsEvent('send', 'c1', { action: 'send', message: { hi: 1 } }));
    publisher.failNext(1);
    await act(wsEvent('publish', 'c1', { action: 'publish', message: { hi: 2 } }));

    expect(publisher.events).toEqual([
      {
        kind: 'client_message',
        route: 'send',
        message: { hi: 1 },
        userId: 'alice',
        connectionId: 'c1',
        timestamp: 1_700_000_000_000,
      },
    ]);
    expect(replies()).toEqual([
      expect.objectContaining({ type: 'error', code: 'output_unavailable' }),
    ]);
  });
});

describe('client actions from a connection the registry does not hold', () => {
  it('answers connection_not_found and forwards nothing (decided: no longer dropped silently)', async () => {
    const { services, gateway, publisher } = testServices();
    gateway.open('ghost');
    const act = makeClientActionHandler({
      registry: services.registry(),
      publisher: services.publisher(),
      gatewayFor: services.gatewayFor(),
      logger: services.logger,
    });

    await act(wsEvent('send', 'ghost', { action: 'send', message: 'lost' }));
    await act(wsEvent('ping', 'ghost', { action: 'ping' }));

    expect(publisher.events).toEqual([]);
    expect(gateway.received('ghost').map((m) => JSON.parse(m))).toEqual([
      expect.objectContaining({ type: 'error', code: 'connection_not_found', temporary: false }),
      expect.objectContaining({ type: 'error', code: 'connection_not_found', temporary: false }),
    ]);
  });

  it('answers internal_error when the store fails, instead of failing the invocation', async () => {
    const { services, gateway, store } = testServices();
    gateway.open('c1');
    await services.registry().connect('c1', { userId: 'alice', channels: ['*'], claims: {} });
    vi.spyOn(store, 'addChannel').mockRejectedValueOnce(new Error('throttled by DynamoDB'));
    const act = makeClientActionHandler({
      registry: services.registry(),
      publisher: services.publisher(),
      gatewayFor: services.gatewayFor(),
      logger: services.logger,
    });

    const result = await act(wsEvent('subscribe', 'c1', { action: 'subscribe', channel: 'r' }));

    expect(result).toEqual({ statusCode: 200 });
    expect(gateway.received('c1').map((m) => JSON.parse(m))).toEqual([
      expect.objectContaining({ type: 'error', code: 'internal_error', temporary: true }),
    ]);
  });
});

describe('notifications', () => {
  const sqsEvent = (bodies: string[]): SQSEvent =>
    ({
      Records: bodies.map((body, i) => ({
        messageId: `m${i}`,
        body,
        attributes: { ApproximateReceiveCount: '1' },
        eventSource: 'aws:sqs',
      })),
    }) as unknown as SQSEvent;

  it('sets each malformed record aside with its reason, acknowledges it, and delivers the rest', async () => {
    const { services, gateway, deadLetters } = testServices();
    gateway.open('c1');
    await services.registry().connect('c1', { userId: 'alice', channels: [], claims: {} });
    const handle = makeNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: services.shardQueue(),
      logger: services.logger,
    });

    const result = await handle(
      sqsEvent([
        '{"users":["alice"],"data":{"n":1}}',
        '{"users":"alice","data":2}',
        'not json',
        '{"userId":"alice","data":{"n":3}}',
      ]),
      lambdaContext(),
    );

    expect(result.batchItemFailures).toEqual([]);
    expect(gateway.received('c1')).toEqual(['{"n":1}', '{"n":3}']);
    expect(deadLetters.map((body) => JSON.parse(body))).toEqual([
      {
        herald_dead_letter: {
          code: 'bad_request',
          field: 'users',
          message: expect.stringContaining('users:'),
        },
        body: '{"users":"alice","data":2}',
      },
      {
        herald_dead_letter: { code: 'bad_request', field: '$', message: expect.any(String) },
        body: 'not json',
      },
    ]);

    // Received back, each dead letter fails, so that SQS moves it to the DLQ.
    const again = await handle(sqsEvent(deadLetters), lambdaContext());
    expect(again.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
    expect(deadLetters).toHaveLength(2);
  });

  it('fails a malformed record, as it came, when it cannot be set aside', async () => {
    const { services } = testServices();
    const handle = makeNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: {
        ...services.shardQueue(),
        deadLetter: async () => {
          throw new Error('the queue is unreachable');
        },
      },
      logger: services.logger,
    });

    const result = await handle(sqsEvent(['{"users":"alice","data":2}']), lambdaContext());

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }]);
  });

  it('splits a broadcast into shard messages, whose deliveries reach every connection exactly once', async () => {
    const { services, gateway, enqueued } = testServices();
    for (let i = 0; i < 30; i++) {
      gateway.open(`c${i}`);
      await services.registry().connect(`c${i}`, { userId: `u${i}`, channels: [], claims: {} });
    }
    const handle = makeNotificationsHandler({
      fanout: services.fanout(),
      shardQueue: services.shardQueue(),
      logger: services.logger,
    });

    await handle(sqsEvent(['{"data":{"all":true}}']), lambdaContext());
    const shardBodies = enqueued.map((e) =>
      JSON.stringify({ herald_shard: e.shard, request: e.request }),
    );
    const delivered = await handle(sqsEvent(shardBodies), lambdaContext());

    expect(enqueued.map((e) => e.shard.segment)).toEqual([0, 1, 2]);
    expect(delivered.batchItemFailures).toEqual([]);
    expect(Array.from({ length: 30 }, (_, i) => gateway.received(`c${i}`).length)).toEqual(
      Array(30).fill(1),
    );
  });
});

describe('presence', () => {
  it('turns stream records into one ONLINE and one OFFLINE, idempotent under redelivery', async () => {
    const { services, publisher } = testServices();
    const handle = makePresenceHandler({
      tracker: services.tracker(),
      logger: services.logger,
      idleTimeoutMs: 600_000,
    });
    const records = [
      streamRecord('INSERT', 'c1', 'alice', '1'),
      streamRecord('INSERT', 'c2', 'alice', '2'),
      streamRecord('REMOVE', 'c1', 'alice', '3'),
      streamRecord('REMOVE', 'c2', 'alice', '4'),
    ];

    await handle({ Records: records } as never, lambdaContext());
    const again = await handle({ Records: records } as never, lambdaContext());

    expect(publisher.events.map((e) => e.kind === 'presence' && e.status)).toEqual([
      'ONLINE',
      'OFFLINE',
    ]);
    expect(again.batchItemFailures).toEqual([]);
  });

  it('reports the record whose event could not be published, for the stream to retry', async () => {
    const { services, publisher } = testServices();
    const handle = makePresenceHandler({
      tracker: services.tracker(),
      logger: services.logger,
      idleTimeoutMs: 600_000,
    });
    publisher.failNext(1);

    const result = await handle(
      { Records: [streamRecord('INSERT', 'c1', 'bob', '7')] } as never,
      lambdaContext(),
    );

    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '7' }]);
  });

  it('answers the presence query, and 400 without ids', async () => {
    const { services } = testServices();
    await services.tracker().record({
      kind: 'connected',
      userId: 'alice',
      connectionId: 'c1',
      at: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const query = makePresenceQueryHandler({ tracker: services.tracker() });

    const ok = await query({ queryStringParameters: { userIds: 'alice,bob' } } as never);
    const bad = await query({ queryStringParameters: {} } as never);

    expect(
      JSON.parse((ok as { body: string }).body).users.map((u: { online: boolean }) => u.online),
    ).toEqual([true, false]);
    expect(bad).toMatchObject({ statusCode: 400 });
  });

  it('answers 503 store_unavailable with Retry-After when the store does not answer in time', async () => {
    const { services } = testServices();
    const tracker = services.tracker();
    vi.spyOn(tracker, 'query').mockRejectedValueOnce(
      new StoreUnavailableError('BatchGetItem', 'presence'),
    );
    const query = makePresenceQueryHandler({ tracker, retryAfterSeconds: 7 });

    const answer = await query({ queryStringParameters: { userIds: 'alice' } } as never);

    expect(answer).toMatchObject({ statusCode: 503, headers: { 'retry-after': '7' } });
    expect(JSON.parse((answer as { body: string }).body)).toEqual({
      error: {
        code: 'store_unavailable',
        message: expect.any(String),
        temporary: true,
      },
    });
  });
});

describe('configuration', () => {
  it('fails at init naming a bad variable, and a missing one when a handler needs it', () => {
    expect(() => loadConfig({ HERALD_BROADCAST_SHARDS: 'many' })).toThrow(
      /HERALD_BROADCAST_SHARDS/,
    );
    expect(() => loadConfig({ HERALD_JWKS_URL: 'http://issuer.example/jwks' })).toThrow(
      /HERALD_JWKS_URL/,
    );
    const { services } = testServices({ HERALD_MANAGEMENT_ENDPOINT: '' });

    expect(() => services.fanout()).toThrow(ConfigurationError);
    expect(() => services.fanout()).toThrow(/HERALD_MANAGEMENT_ENDPOINT/);
  });
});
