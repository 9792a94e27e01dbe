import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type ClientError,
  type ConnectionState,
  HeraldClient,
  type HeraldClientOptions,
  type Notification,
  type StreamResumed,
} from '../src/index.js';
import { FakeClock, FakeSocket, settle, tokenExpiringAt } from './fakes.js';

const HOUR = 3_600_000;

const setup = (options: Partial<HeraldClientOptions> = {}) => {
  const clock = new FakeClock();
  const tokens: string[] = [];
  const client = new HeraldClient({
    url: 'wss://example.test/prod',
    getToken: async () => {
      const token = tokenExpiringAt(clock.now() + HOUR, 'u1');
      tokens.push(token);
      return token;
    },
    WebSocket: FakeSocket,
    clock,
    random: () => 0.5,
    ...options,
  });
  const seen = {
    states: [] as ConnectionState[],
    notifications: [] as Notification[],
    errors: [] as ClientError[],
    resumed: [] as StreamResumed[],
  };
  client.on('state', (state) => seen.states.push(state));
  client.on('notification', (n) => seen.notifications.push(n));
  client.on('error', (e) => seen.errors.push(e));
  client.on('resumed', (r) => seen.resumed.push(r));
  return { clock, client, tokens, seen };
};

/** Connects and opens the first socket. */
const connected = async (options: Partial<HeraldClientOptions> = {}) => {
  const context = setup(options);
  context.client.connect();
  await settle();
  FakeSocket.last.open();
  return context;
};

const envelope = (offset: number, stream = 'user:u1', epoch = 'e1') => ({
  type: 'notification',
  stream,
  offset,
  epoch,
  id: `n${offset}`,
  data: { n: offset },
});

beforeEach(() => {
  FakeSocket.all = [];
});

describe('HeraldClient', () => {
  let client: HeraldClient | undefined;
  afterEach(() => client?.close());

  describe('connecting', () => {
    it('carries the token in the authorization query parameter and asks for herald.v1', async () => {
      const context = setup();
      client = context.client;

      client.connect();
      await settle();

      const url = new URL(FakeSocket.last.url);
      expect(url.searchParams.get('authorization')).toBe(context.tokens[0]);
      expect(url.searchParams.get('protocol')).toBe('herald.v1');
      expect(FakeSocket.last.protocols).toBeUndefined();
      expect(context.seen.states).toEqual(['connecting']);
    });

    it('carries the token in the subprotocol offer, after herald.v1 or herald', async () => {
      const withEnvelope = setup({ carrier: 'subprotocol' });
      withEnvelope.client.connect();
      await settle();
      const first = FakeSocket.last;
      const bare = setup({ carrier: 'subprotocol', envelope: false });
      bare.client.connect();
      await settle();

      expect(first.protocols).toEqual(['herald.v1', withEnvelope.tokens[0]]);
      expect(new URL(first.url).search).toBe('');
      expect(FakeSocket.last.protocols).toEqual(['herald', bare.tokens[0]]);
      withEnvelope.client.close();
      bare.client.close();
    });

    it('uses the query parameter it is given', async () => {
      const context = setup({ queryParameter: 'token', envelope: false });
      client = context.client;

      client.connect();
      await settle();

      const url = new URL(FakeSocket.last.url);
      expect(url.searchParams.get('token')).toBe(context.tokens[0]);
      expect(url.searchParams.has('protocol')).toBe(false);
    });

    it('sends what was queued while connecting once connected, then directly', async () => {
      const context = setup();
      client = context.client;
      client.connect();
      client.send({ hello: 1 });
      client.publish({ hello: 2 });
      await settle();

      FakeSocket.last.open();
      client.send({ hello: 3 });

      expect(FakeSocket.last.frames).toEqual([
        { action: 'send', message: { hello: 1 } },
        { action: 'publish', message: { hello: 2 } },
        { action: 'send', message: { hello: 3 } },
      ]);
      expect(context.seen.states).toEqual(['connecting', 'connected']);
    });

    it('reports a full queue instead of growing it without bound', async () => {
      const context = setup({ maxQueuedMessages: 1 });
      client = context.client;

      client.send(1);
      client.send(2);

      expect(context.seen.errors.map((e) => [e.code, e.temporary])).toEqual([
        ['queue_full', false],
      ]);
    });
  });

  describe('notifications', () => {
    it('delivers bare data as it is, and envelope entries with their position', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.receive({ message: 'bare' });
      FakeSocket.last.receive('not json');
      FakeSocket.last.receive(envelope(1));

      expect(context.seen.notifications).toEqual([
        { data: { message: 'bare' } },
        { data: 'not json' },
        { data: { n: 1 }, stream: 'user:u1', offset: 1, epoch: 'e1', id: 'n1' },
      ]);
    });

    it('treats a notification-typed payload without a stream position as bare data', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.receive({ type: 'notification', message: 'sumu style' });

      expect(context.seen.notifications).toEqual([
        { data: { type: 'notification', message: 'sumu style' } },
      ]);
    });

    it('delivers the data of an envelope on no stream (connection ids, no history kept)', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.receive({ type: 'notification', id: 'r-9', data: { to: 'this socket' } });

      expect(context.seen.notifications).toEqual([{ data: { to: 'this socket' }, id: 'r-9' }]);
    });

    it('reports error frames with their code, temporary flag and field', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.receive({
        type: 'error',
        code: 'bad_request',
        message: 'channel: must be 1 to 256 characters',
        field: 'channel',
        temporary: false,
      });
      FakeSocket.last.receive({
        type: 'error',
        code: 'rate_limited',
        message: 'slow down',
        temporary: true,
      });

      expect(context.seen.errors).toEqual([
        {
          code: 'bad_request',
          message: 'channel: must be 1 to 256 characters',
          field: 'channel',
          temporary: false,
        },
        { code: 'rate_limited', message: 'slow down', temporary: true },
      ]);
      expect(client.state).toBe('connected');
    });
  });

  describe('reconnecting', () => {
    it('retries with full-jitter backoff, a fresh token each time, and resubscribes', async () => {
      const context = await connected({ backoff: { initialDelayMs: 1000, maxDelayMs: 8000 } });
      client = context.client;
      client.subscribe('room-1');
      FakeSocket.last.receive({ type: 'subscribed', channel: 'room-1' });

      FakeSocket.last.drop(1001);
      await context.clock.advance(499);
      const beforeFirstRetry = FakeSocket.all.length;
      await context.clock.advance(1);
      FakeSocket.last.drop();
      await context.clock.advance(1000);
      FakeSocket.last.drop();
      await context.clock.advance(2000);
      FakeSocket.last.open();

      expect(beforeFirstRetry).toBe(1);
      expect(FakeSocket.all).toHaveLength(4);
      expect(new Set(context.tokens).size).toBe(4);
      expect(FakeSocket.last.frames).toEqual([{ action: 'subscribe', channel: 'room-1' }]);
      expect(context.seen.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
    });

    it('reports repeated handshake failures as a possible authentication failure, and keeps trying', async () => {
      const context = setup({ handshakeFailuresToReport: 3 });
      client = context.client;
      client.connect();
      await settle();

      for (let i = 0; i < 3; i += 1) {
        FakeSocket.last.drop();
        await context.clock.advance(60_000);
      }

      expect(context.seen.errors.map((e) => [e.code, e.temporary])).toEqual([
        ['handshake_failed', true],
      ]);
      expect(FakeSocket.all).toHaveLength(4);
      expect(client.state).toBe('connecting');
    });

    it('retries a token provider that fails, reporting it', async () => {
      let calls = 0;
      const context = setup({
        getToken: async () => {
          calls += 1;
          if (calls === 1) throw new Error('identity provider down');
          return tokenExpiringAt(Date.now() + HOUR);
        },
      });
      client = context.client;

      client.connect();
      await settle();
      await context.clock.advance(1000);

      expect(context.seen.errors.map((e) => e.code)).toEqual(['token_provider_failed']);
      expect(FakeSocket.all).toHaveLength(1);
    });

    it('stops on a close code that says not to come back', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.drop(1008);
      await context.clock.advance(60_000);

      expect(FakeSocket.all).toHaveLength(1);
      expect(context.seen.errors.map((e) => [e.code, e.temporary])).toEqual([
        ['connection_refused', false],
      ]);
      expect(client.state).toBe('closed');
    });

    it('stops on close(), cancelling a pending retry and an attempt awaiting its token', async () => {
      const context = await connected();
      client = context.client;

      FakeSocket.last.drop();
      client.close();
      await context.clock.advance(60_000);

      expect(FakeSocket.all).toHaveLength(1);
      expect(context.seen.states.at(-1)).toBe('closed');
      expect(context.clock.pending).toBe(0);
    });

    it('reconnects when the server no longer holds the connection', async () => {
      const context = await connected();
      client = context.client;
      const first = FakeSocket.last;

      first.receive({ type: 'error', code: 'connection_not_found', message: '', temporary: false });
      await context.clock.advance(1000);

      expect(first.closedWith).toBe(4000);
      expect(FakeSocket.all).toHaveLength(2);
    });
  });

  describe('keep-alive', () => {
    it('pings every interval and treats a missing pong as a dead connection', async () => {
      const context = await connected({ pingIntervalMs: 60_000, pongTimeoutMs: 5000 });
      client = context.client;
      const first = FakeSocket.last;

      await context.clock.advance(60_000);
      first.answersPings = false;
      await context.clock.advance(60_000);
      await context.clock.advance(5000);

      expect(first.actions(true)).toEqual(['ping', 'ping']);
      expect(first.closedWith).toBe(4000);
      expect(context.seen.errors.map((e) => e.code)).toEqual(['pong_timeout']);
      expect(context.seen.states.at(-1)).toBe('reconnecting');
      await context.clock.advance(1000);
      expect(FakeSocket.all).toHaveLength(2);
    });

    it('replaces the connection before its maximum age, make-before-break, losing nothing', async () => {
      const context = await connected({ maxConnectionAgeMs: 2 * HOUR, renewBeforeMs: 300_000 });
      client = context.client;
      client.subscribe('room-1');
      const old = FakeSocket.last;
      old.receive({ type: 'subscribed', channel: 'room-1' });
      old.receive(envelope(1));

      await context.clock.advance(2 * HOUR - 300_000);
      const replacement = FakeSocket.last;
      replacement.open();
      old.receive(envelope(2));
      replacement.receive(envelope(2));
      replacement.receive({ type: 'subscribed', channel: 'room-1' });
      const oldOpenUntilAnswered = old.closedWith;
      replacement.receive({
        type: 'resumed',
        streams: { 'user:u1': { recovered: true, epoch: 'e1', offset: 2 } },
      });

      expect(FakeSocket.all).toHaveLength(2);
      expect(oldOpenUntilAnswered).toBeUndefined();
      expect(old.closedWith).toBe(1000);
      expect(replacement.frames).toEqual([
        { action: 'subscribe', channel: 'room-1' },
        { action: 'resume', streams: { 'user:u1': { epoch: 'e1', offset: 1 } } },
      ]);
      expect(context.seen.notifications.map((n) => n.offset)).toEqual([1, 2]);
      expect(context.seen.states).toEqual(['connecting', 'connected']);
      client.send('after');
      expect(replacement.frames.at(-1)).toEqual({ action: 'send', message: 'after' });
    });

    it('takes over with a replacement whose subscribes were refused, reporting each refusal', async () => {
      const context = await connected({ maxConnectionAgeMs: 2 * HOUR, renewBeforeMs: 300_000 });
      client = context.client;
      client.subscribe('room-1');
      client.subscribe('room-2');
      const old = FakeSocket.last;
      old.receive({ type: 'subscribed', channel: 'room-1' });
      old.receive({ type: 'subscribed', channel: 'room-2' });

      await context.clock.advance(2 * HOUR - 300_000);
      const replacement = FakeSocket.last;
      replacement.open();
      replacement.receive({
        type: 'error',
        code: 'channel_not_allowed',
        message: 'no',
        temporary: false,
      });
      const oldOpenAfterOneAnswer = old.closedWith;
      replacement.receive({
        type: 'error',
        code: 'too_many_channels',
        message: 'full',
        temporary: false,
      });

      expect(oldOpenAfterOneAnswer).toBeUndefined();
      expect(old.closedWith).toBe(1000);
      expect(context.seen.errors.map((e) => e.code)).toEqual([
        'channel_not_allowed',
        'too_many_channels',
      ]);
    });

    it('refreshes the token in-band before it expires', async () => {
      const context = await connected({
        refreshBeforeExpiryMs: 60_000,
        maxConnectionAgeMs: 10 * HOUR,
      });
      client = context.client;

      await context.clock.advance(HOUR - 60_000);
      FakeSocket.last.receive({ type: 'refreshed', expiresAt: context.clock.now() + HOUR });
      await context.clock.advance(HOUR);

      const refreshes = FakeSocket.last.frames.filter(
        (f) => (f as { action: string }).action === 'refresh',
      );
      expect(refreshes).toEqual([
        { action: 'refresh', token: context.tokens[1] },
        { action: 'refresh', token: context.tokens[2] },
      ]);
      expect(FakeSocket.all).toHaveLength(1);
    });

    it('replaces the connection with a fresh token when the server has no refresh', async () => {
      const context = await connected({ refreshBeforeExpiryMs: 60_000 });
      client = context.client;
      const first = FakeSocket.last;

      await context.clock.advance(HOUR - 60_000);
      first.receive({ type: 'error', code: 'unknown_action', message: '', temporary: false });
      await settle();
      FakeSocket.last.open();

      expect(FakeSocket.all).toHaveLength(2);
      expect(new URL(FakeSocket.last.url).searchParams.get('authorization')).toBe(
        context.tokens[2],
      );
      expect(first.closedWith).toBe(1000);
      expect(context.seen.errors).toEqual([]);
    });

    it('retries a refresh the server could not check yet (keys unavailable)', async () => {
      const context = await connected({
        refreshBeforeExpiryMs: 60_000,
        maxConnectionAgeMs: 10 * HOUR,
      });
      client = context.client;

      await context.clock.advance(HOUR - 60_000);
      FakeSocket.last.receive({
        type: 'error',
        code: 'token_key_unavailable',
        message: 'issuer down',
        temporary: true,
      });
      await context.clock.advance(5000);

      expect(client.state).toBe('connected');
      expect(FakeSocket.last.actions()).toEqual(['refresh', 'refresh']);
    });

    it('stops when a refreshed token is refused for good', async () => {
      const context = await connected({ refreshBeforeExpiryMs: 60_000 });
      client = context.client;

      await context.clock.advance(HOUR - 60_000);
      FakeSocket.last.receive({
        type: 'error',
        code: 'token_user_mismatch',
        message: 'another user',
        temporary: false,
      });

      expect(client.state).toBe('closed');
      expect(context.seen.errors.map((e) => e.code)).toEqual(['token_user_mismatch']);
    });
  });

  describe('resume', () => {
    it('resumes known streams on reconnect, delivering the replay once and in order', async () => {
      const context = await connected();
      client = context.client;
      FakeSocket.last.receive(envelope(1));
      FakeSocket.last.receive(envelope(7, 'broadcast', 'b1'));

      FakeSocket.last.drop();
      await context.clock.advance(1000);
      const second = FakeSocket.last;
      second.open();
      second.receive(envelope(4));
      second.receive(envelope(2));
      second.receive(envelope(3));
      second.receive(envelope(2));
      second.receive({
        type: 'resumed',
        streams: {
          'user:u1': { recovered: true, epoch: 'e1', offset: 3 },
          broadcast: { recovered: true, epoch: 'b1', offset: 7 },
        },
      });
      second.receive(envelope(4));
      second.receive(envelope(5));

      expect(second.frames).toEqual([
        {
          action: 'resume',
          streams: { 'user:u1': { epoch: 'e1', offset: 1 }, broadcast: { epoch: 'b1', offset: 7 } },
        },
      ]);
      expect(
        context.seen.notifications.filter((n) => n.stream === 'user:u1').map((n) => n.offset),
      ).toEqual([1, 2, 3, 4, 5]);
      expect(context.seen.resumed.map((r) => [r.stream, r.recovered])).toEqual([
        ['user:u1', true],
        ['broadcast', true],
      ]);
    });

    it('tells the app when a stream could not be recovered, and goes on from the new epoch', async () => {
      const context = await connected();
      client = context.client;
      FakeSocket.last.receive(envelope(41));

      FakeSocket.last.drop();
      await context.clock.advance(1000);
      FakeSocket.last.open();
      FakeSocket.last.receive({
        type: 'resumed',
        streams: { 'user:u1': { recovered: false, epoch: 'e2', offset: 0 } },
      });
      FakeSocket.last.receive(envelope(1, 'user:u1', 'e2'));

      expect(context.seen.resumed).toEqual([
        { stream: 'user:u1', recovered: false, epoch: 'e2', offset: 0 },
      ]);
      expect(client.positions).toEqual({ 'user:u1': { epoch: 'e2', offset: 1 } });
    });

    it('reports a server without resume once, and delivers what it held', async () => {
      const context = await connected();
      client = context.client;
      FakeSocket.last.receive(envelope(1));

      FakeSocket.last.drop();
      await context.clock.advance(1000);
      FakeSocket.last.open();
      FakeSocket.last.receive(envelope(2));
      FakeSocket.last.receive({
        type: 'error',
        code: 'unknown_action',
        message: 'unknown action "resume"',
        temporary: false,
      });
      FakeSocket.last.drop();
      await context.clock.advance(1000);
      FakeSocket.last.open();

      expect(context.seen.errors.map((e) => e.code)).toEqual(['resume_unsupported']);
      expect(context.seen.notifications.map((n) => n.offset)).toEqual([1, 2]);
      expect(FakeSocket.last.frames).toEqual([]);
    });

    it('keeps positions in the storage it is given, and resumes from them after a reload', async () => {
      const store = new Map<string, string>();
      const storage = {
        getItem: (key: string) => store.get(key) ?? null,
        setItem: (key: string, value: string) => void store.set(key, value),
      };
      const first = await connected({ storage });
      first.client.subscribe('room-1');
      FakeSocket.last.receive(envelope(12, 'channel:room-1', 'c1'));
      first.client.close();

      const reloaded = await connected({ storage });
      client = reloaded.client;

      expect(JSON.parse(store.get('herald.streams') as string)).toEqual({
        'channel:room-1': { epoch: 'c1', offset: 12 },
      });
      expect(FakeSocket.last.frames).toEqual([
        { action: 'resume', streams: { 'channel:room-1': { epoch: 'c1', offset: 12 } } },
      ]);
    });
  });
});
