import {
  ChannelNotAllowedError,
  type ConnectionLifecycleListener,
  ConnectionNotFoundError,
  type ConnectionRecord,
  ConnectionRegistry,
  LIMITS,
  TooManyChannelsError,
  ValidationError,
} from '@herald/domain';
import { ManualClock } from '@herald/domain/testing';
import { describe, expect, it } from 'vitest';
import { InMemoryConnectionStore } from '../../src/index.js';

const MINUTE = 60_000;

const setup = () => {
  const clock = new ManualClock();
  const store = new InMemoryConnectionStore(clock);
  const seen: string[] = [];
  const listener: ConnectionLifecycleListener = {
    connected: async (r: ConnectionRecord) => void seen.push(`+${r.connectionId}`),
    disconnected: async (r: ConnectionRecord) => void seen.push(`-${r.connectionId}`),
  };
  const registry = new ConnectionRegistry(
    store,
    clock,
    { idleTimeoutMs: 10 * MINUTE, maxConnectionAgeMs: 120 * MINUTE },
    listener,
  );
  const principal = (userId: string, channels: readonly string[] = []) => ({
    userId,
    channels,
    claims: {},
  });
  return { clock, registry, seen, principal };
};

describe('ConnectionRegistry', () => {
  it('registers a connection that lives until the idle timeout', async () => {
    const { registry, principal, clock, seen } = setup();

    const record = await registry.connect('c1', principal('alice', ['room-1']));

    expect(record).toMatchObject({ userId: 'alice', channels: [], allowedChannels: ['room-1'] });
    expect(record.expiresAt).toBe(clock.now() + 10 * MINUTE);
    expect(seen).toEqual(['+c1']);
  });

  it('keeps a touched connection alive, but never past its maximum age', async () => {
    const { registry, principal, clock } = setup();
    await registry.connect('c1', principal('alice'));

    for (let minute = 0; minute < 115; minute += 5) {
      clock.advance(5 * MINUTE);
      expect(await registry.touch('c1')).toBe(true);
    }
    clock.advance(5 * MINUTE + 1);

    expect(await registry.get('c1')).toBeUndefined();
    expect(await registry.touch('c1')).toBe(false);
  });

  it('lets a connection expire when it goes idle', async () => {
    const { registry, principal, clock } = setup();
    await registry.connect('c1', principal('alice'));

    clock.advance(10 * MINUTE);

    expect(await registry.get('c1')).toBeUndefined();
  });

  it('subscribes only to channels the token allows', async () => {
    const { registry, principal } = setup();
    await registry.connect('c1', principal('alice', ['room-1']));
    await registry.connect('c2', principal('bob', ['*']));

    await registry.subscribe('c1', 'room-1');
    await expect(registry.subscribe('c1', 'room-2')).rejects.toBeInstanceOf(ChannelNotAllowedError);
    await registry.subscribe('c2', 'anything-at-all');

    expect((await registry.listByChannel('room-1')).items.map((r) => r.connectionId)).toEqual([
      'c1',
    ]);
    expect((await registry.listByChannel('room-2')).items).toEqual([]);
  });

  it('refuses a malformed channel name and an unknown connection', async () => {
    const { registry, principal } = setup();
    await registry.connect('c1', principal('alice', ['*']));

    await expect(registry.subscribe('c1', 'has space')).rejects.toBeInstanceOf(ValidationError);
    await expect(registry.subscribe('nope', 'room-1')).rejects.toBeInstanceOf(
      ConnectionNotFoundError,
    );
    await expect(registry.unsubscribe('nope', 'room-1')).rejects.toBeInstanceOf(
      ConnectionNotFoundError,
    );
  });

  it('refuses a subscribe past the channel limit, and takes it again after an unsubscribe', async () => {
    const { registry, principal } = setup();
    await registry.connect('c1', principal('alice', ['*']));
    const limit = LIMITS.maxChannelsPerConnection;
    for (let i = 0; i < limit; i++) await registry.subscribe('c1', `room-${i}`);

    await registry.subscribe('c1', 'room-0');
    const refused = await registry.subscribe('c1', 'one-too-many').catch((error) => error);
    await registry.unsubscribe('c1', 'room-0');
    await registry.subscribe('c1', 'one-too-many');

    expect(refused).toBeInstanceOf(TooManyChannelsError);
    expect(refused).toMatchObject({ code: 'too_many_channels', temporary: false, limit: 100 });
    expect((await registry.get('c1'))?.channels).toHaveLength(limit);
    expect((await registry.listByChannel('one-too-many')).items.map((r) => r.connectionId)).toEqual(
      ['c1'],
    );
  });

  it('unsubscribes', async () => {
    const { registry, principal } = setup();
    await registry.connect('c1', principal('alice', ['*']));
    await registry.subscribe('c1', 'room-1');

    await registry.unsubscribe('c1', 'room-1');

    expect((await registry.listByChannel('room-1')).items).toEqual([]);
  });

  it('removes a disconnected connection with its memberships and tells the listener once', async () => {
    const { registry, principal, seen } = setup();
    await registry.connect('c1', principal('alice', ['*']));
    await registry.subscribe('c1', 'room-1');

    await registry.disconnect('c1');
    await registry.disconnect('c1');

    expect(await registry.listByUser('alice')).toEqual([]);
    expect((await registry.listByChannel('room-1')).items).toEqual([]);
    expect(seen).toEqual(['+c1', '-c1']);
  });
});
