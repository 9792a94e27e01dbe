import {
  type ClientActionIncident,
  ClientActions,
  type ClientActionsOptions,
  type ClientConnection,
  ConnectionRegistry,
  errorFrame,
  InternalError,
  parseClientFrame,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import { describe, expect, it, vi } from 'vitest';
import { InMemoryConnectionStore, InMemoryEventPublisher } from '../../src/index.js';

const MINUTE = 60_000;
const IDLE = 10 * MINUTE;

const setup = (
  refreshLiveness: ClientActionsOptions['refreshLiveness'],
  answerPing?: ClientActionsOptions['answerPing'],
) => {
  const clock = new ManualClock();
  const store = new InMemoryConnectionStore(clock);
  const registry = new ConnectionRegistry(store, clock, { idleTimeoutMs: IDLE });
  const publisher = new InMemoryEventPublisher();
  const incidents: ClientActionIncident[] = [];
  const actions = new ClientActions(registry, publisher, {
    refreshLiveness,
    ...(answerPing === undefined ? {} : { answerPing }),
    idleTimeoutMs: IDLE,
    onIncident: (incident) => incidents.push(incident),
  });
  const touches = vi.spyOn(store, 'touch');
  const frame = (value: unknown) => parseClientFrame(JSON.stringify(value));
  const register = (connectionId: string, userId: string) =>
    registry.connect(connectionId, { userId, channels: ['*'], claims: {} });
  return { clock, store, registry, publisher, incidents, actions, touches, frame, register };
};

describe('ClientActions', () => {
  describe('user', () => {
    it('forwards with the user the transport gives, without reading the registry', async () => {
      const { actions, publisher, register, frame, store } = setup('ping-only');
      await register('c1', 'alice');
      const reads = vi.spyOn(store, 'get');

      await actions.handle(
        { connectionId: 'c1', userId: 'alice' },
        frame({ action: 'send', message: 1 }),
        5,
      );

      expect(reads).not.toHaveBeenCalled();
      expect(publisher.events).toEqual([
        expect.objectContaining({ userId: 'alice', connectionId: 'c1' }),
      ]);
    });

    it('forwards with the user the registry holds when the transport gives none', async () => {
      const { actions, publisher, register, frame } = setup('ping-only');
      await register('c1', 'bob');

      await actions.handle({ connectionId: 'c1' }, frame({ action: 'publish', message: 1 }), 5);

      expect(publisher.events).toEqual([
        expect.objectContaining({ userId: 'bob', route: 'publish' }),
      ]);
    });
  });

  describe('liveness', () => {
    it('ping-only: refreshes on ping and on nothing else', async () => {
      const { actions, register, frame, touches } = setup('ping-only');
      await register('c1', 'alice');
      const connection: ClientConnection = { connectionId: 'c1' };

      await actions.handle(connection, frame({ action: 'send', message: 1 }), 1);
      await actions.handle(connection, frame({ action: 'subscribe', channel: 'r' }), 2);
      const beforePing = touches.mock.calls.length;
      await actions.handle(connection, frame({ action: 'ping' }), 3);

      expect(beforePing).toBe(0);
      expect(touches).toHaveBeenCalledTimes(1);
    });

    it('every-action: refreshes on every ping, and on other actions at most four times per idle timeout', async () => {
      const { actions, register, frame, touches, clock } = setup('every-action');
      await register('c1', 'alice');
      const start = clock.now();
      const connection: ClientConnection = {
        connectionId: 'c1',
        userId: 'alice',
        lastTouchedAt: start,
      };
      const send = (at: number) =>
        actions.handle(connection, frame({ action: 'send', message: at }), at);

      await send(start + 1);
      await send(start + IDLE / 4 - 1);
      const throttled = touches.mock.calls.length;
      await send(start + IDLE / 4);
      await send(start + IDLE / 4 + 1);
      const afterDue = touches.mock.calls.length;
      await actions.handle(connection, frame({ action: 'ping' }), start + IDLE / 4 + 2);
      await actions.handle(connection, frame({ action: 'ping' }), start + IDLE / 4 + 3);

      expect(throttled).toBe(0);
      expect(afterDue).toBe(1);
      expect(touches).toHaveBeenCalledTimes(3);
      expect(connection.lastTouchedAt).toBe(start + IDLE / 4 + 3);
    });
  });

  describe('timestamps', () => {
    it('stamps a forwarded message with the time the frame arrived, not the time it was handled', async () => {
      const { actions, publisher, register, frame, clock } = setup('ping-only');
      await register('c1', 'alice');
      const arrived = clock.now();
      clock.advance(5000);

      await actions.handle(
        { connectionId: 'c1', userId: 'alice' },
        frame({ action: 'send', message: 1 }),
        arrived,
      );

      expect(publisher.events).toEqual([expect.objectContaining({ timestamp: arrived })]);
    });
  });

  describe('answerPing: before-refresh', () => {
    it('answers a ping at once while its refresh waits on the store, and refreshes one at a time', async () => {
      const { actions, register, frame, store, incidents } = setup(
        'every-action',
        'before-refresh',
      );
      await register('c1', 'alice');
      let answer: (found: boolean) => void = () => undefined;
      const touches = vi
        .spyOn(store, 'touch')
        .mockImplementation(() => new Promise<boolean>((resolve) => (answer = resolve)));
      const connection: ClientConnection = { connectionId: 'c1', userId: 'alice' };

      const replies = [
        await actions.handle(connection, frame({ action: 'ping' }), 1),
        await actions.handle(connection, frame({ action: 'ping' }), 2),
      ];
      answer(true);
      await vi.waitFor(() => expect(connection.refreshing).toBe(false));

      expect(replies).toEqual([
        { type: 'pong', connectionId: 'c1' },
        { type: 'pong', connectionId: 'c1' },
      ]);
      expect(touches).toHaveBeenCalledTimes(1);
      expect(incidents).toEqual([]);
    });

    it('reports a refresh that fails after the pong, without answering it', async () => {
      const { actions, register, frame, store, incidents } = setup(
        'every-action',
        'before-refresh',
      );
      await register('c1', 'alice');
      const failure = new Error('store down');
      vi.spyOn(store, 'touch').mockRejectedValueOnce(failure);
      const connection: ClientConnection = { connectionId: 'c1', userId: 'alice' };

      const reply = await actions.handle(connection, frame({ action: 'ping' }), 1);
      await vi.waitFor(() => expect(incidents).toHaveLength(1));

      expect(reply).toEqual({ type: 'pong', connectionId: 'c1' });
      expect(incidents[0]).toMatchObject({
        kind: 'failed',
        severity: 'error',
        action: 'ping',
        error: failure,
      });
    });
  });

  describe('unregistered connections', () => {
    it('answers every action from a connection the registry does not hold with connection_not_found, forwarding nothing', async () => {
      const { actions, publisher, frame, incidents } = setup('ping-only');
      const ghost = { connectionId: 'ghost' };

      const replies = [
        await actions.handle(ghost, frame({ action: 'ping' }), 1),
        await actions.handle(ghost, frame({ action: 'send', message: 1 }), 2),
        await actions.handle(ghost, frame({ action: 'subscribe', channel: 'r' }), 3),
        await actions.handle(ghost, frame({ action: 'unsubscribe', channel: 'r' }), 4),
      ];

      expect(replies.map((r) => r !== undefined && 'code' in r && r.code)).toEqual(
        Array(4).fill('connection_not_found'),
      );
      expect(incidents.map((i) => i.severity)).toEqual(Array(4).fill('warn'));
      expect(publisher.events).toEqual([]);
    });

    it('answers connection_not_found when an every-action refresh finds the connection expired', async () => {
      const { actions, publisher, register, frame, clock } = setup('every-action');
      await register('c1', 'alice');
      clock.advance(IDLE + 1);

      const reply = await actions.handle(
        { connectionId: 'c1', userId: 'alice', lastTouchedAt: 0 },
        frame({ action: 'send', message: 1 }),
        clock.now(),
      );

      expect(reply).toMatchObject({
        type: 'error',
        code: 'connection_not_found',
        temporary: false,
      });
      expect(publisher.events).toEqual([]);
    });
  });

  describe('failures', () => {
    it('answers output_unavailable (temporary) when the output fails, and reports it with its cause', async () => {
      const { actions, publisher, register, frame, incidents } = setup('ping-only');
      await register('c1', 'alice');
      publisher.failNext(1);

      const reply = await actions.handle(
        { connectionId: 'c1' },
        frame({ action: 'send', message: 1 }),
        1,
      );

      expect(reply).toMatchObject({ type: 'error', code: 'output_unavailable', temporary: true });
      expect(incidents).toEqual([
        expect.objectContaining({
          kind: 'refused',
          severity: 'error',
          action: 'send',
          error: expect.objectContaining({ cause: expect.any(Error) }),
        }),
      ]);
    });

    it('answers internal_error, never the cause, when anything else fails', async () => {
      const { actions, register, frame, store, incidents } = setup('ping-only');
      await register('c1', 'alice');
      vi.spyOn(store, 'addChannel').mockRejectedValueOnce(
        new Error('table dropped: secret detail'),
      );

      const reply = await actions.handle(
        { connectionId: 'c1' },
        frame({ action: 'subscribe', channel: 'r' }),
        1,
      );

      expect(reply).toEqual(errorFrame(new InternalError()));
      expect(JSON.stringify(reply)).not.toContain('secret detail');
      expect(incidents).toEqual([
        expect.objectContaining({ kind: 'failed', severity: 'error', action: 'subscribe' }),
      ]);
    });

    it('answers a frame that did not parse with the parser error, as an error frame', async () => {
      const { actions, incidents } = setup('ping-only');

      const reply = await actions.handle({ connectionId: 'c1' }, parseClientFrame('nope'), 1);

      expect(reply).toMatchObject({
        type: 'error',
        code: 'bad_request',
        field: '$',
        temporary: false,
      });
      expect(incidents).toEqual([
        expect.objectContaining({ kind: 'refused', severity: 'info', action: undefined }),
      ]);
    });
  });
});
