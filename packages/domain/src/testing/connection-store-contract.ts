import { describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../model/connection.js';
import type { ConnectionStore } from '../ports/connection-store.js';
import { connectionRecord } from './connection-record.js';
import { ManualClock } from './manual-clock.js';

type ConnectionStoreFactory = (clock: ManualClock) => ConnectionStore | Promise<ConnectionStore>;

/**
 * Where the suite's clock starts: now, because the DynamoDB adapters give
 * their items a TTL from it, and DynamoDB Local (as DynamoDB, eventually)
 * deletes items whose TTL has passed, in the middle of a test.
 */
const START = Date.now();

const HOUR = 3_600_000;
/** A channel bound no test reaches, for the tests that are not about it. */
const ANY = 100;

/** The behaviour every ConnectionStore must have. Each test gets a fresh store. */
const describeConnectionStoreContract = (name: string, factory: ConnectionStoreFactory): void => {
  describe(`ConnectionStore contract: ${name}`, () => {
    const setup = async () => {
      const clock = new ManualClock(START);
      const store = await factory(clock);
      const record = (
        connectionId: string,
        userId: string,
        extra: Partial<ConnectionRecord> = {},
      ) => connectionRecord(connectionId, userId, clock.now(), extra);
      return { clock, store, record };
    };

    const ids = (records: readonly ConnectionRecord[]) => records.map((r) => r.connectionId).sort();

    it('returns a stored connection as it was put', async () => {
      const { store, record } = await setup();
      const stored = record('c1', 'u1', { allowedChannels: ['room-1', 'room-2'] });

      await store.put(stored);

      expect(await store.get('c1')).toEqual(stored);
    });

    it('keeps the owner a connection was stored with, and a record without one', async () => {
      const { store, record } = await setup();
      const owned = record('c1', 'u1', {
        owner: { endpoint: 'http://10.0.0.1:8080', incarnation: 'inc-a' },
      });
      const onStage = record('c2', 'u1', {
        owner: { endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com/prod' },
      });
      const ownerless = record('c3', 'u2');

      await Promise.all([store.put(owned), store.put(onStage), store.put(ownerless)]);

      expect(await store.get('c1')).toEqual(owned);
      expect(await store.get('c2')).toEqual(onStage);
      expect(await store.get('c3')).toEqual(ownerless);
      expect((await store.listByUser('u1')).map((r) => r.owner?.endpoint).sort()).toEqual([
        'http://10.0.0.1:8080',
        'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      ]);
    });

    it('answers undefined for a connection it never held', async () => {
      const { store } = await setup();

      expect(await store.get('nope')).toBeUndefined();
      expect(await store.delete('nope')).toBeUndefined();
      expect(await store.touch('nope', 1, 2)).toBe(false);
      expect(await store.addChannel('nope', 'room-1', ANY)).toBe('absent');
    });

    it('keeps the protocol a client opted into, through refreshes and channel changes', async () => {
      const { store, record } = await setup();
      const stored = record('c1', 'u1', { protocol: 'herald.v1', allowedChannels: ['*'] });

      await store.put(stored);
      await store.touch('c1', stored.lastSeenAt + 1, stored.expiresAt + 1);
      await store.addChannel('c1', 'room-1', ANY);

      expect((await store.get('c1'))?.protocol).toBe('herald.v1');
      expect((await store.listByChannel('room-1')).items[0]?.protocol).toBe('herald.v1');
      expect((await store.listByUser('u1'))[0]?.protocol).toBe('herald.v1');
    });

    it('deletes a connection with its channel memberships and returns what it removed', async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1'));
      await store.addChannel('c1', 'room-1', ANY);

      const removed = await store.delete('c1');

      expect(removed?.connectionId).toBe('c1');
      expect(removed?.channels).toEqual(['room-1']);
      expect(await store.get('c1')).toBeUndefined();
      expect((await store.listByChannel('room-1')).items).toEqual([]);
      expect(await store.listByUser('u1')).toEqual([]);
    });

    it('lists all and only the connections of a user', async () => {
      const { store, record } = await setup();
      await store.put(record('a1', 'alice'));
      await store.put(record('a2', 'alice'));
      await store.put(record('b1', 'bob'));

      expect(ids(await store.listByUser('alice'))).toEqual(['a1', 'a2']);
      expect(ids(await store.listByUser('bob'))).toEqual(['b1']);
      expect(await store.listByUser('carol')).toEqual([]);
    });

    it('treats an expired connection as absent on every read', async () => {
      const { store, record, clock } = await setup();
      await store.put(record('c1', 'u1', { expiresAt: clock.now() + 1000 }));
      await store.addChannel('c1', 'room-1', ANY);

      clock.advance(1001);

      expect(await store.get('c1')).toBeUndefined();
      expect(await store.listByUser('u1')).toEqual([]);
      expect((await store.listByChannel('room-1')).items).toEqual([]);
      expect((await store.scan({ segment: 0, totalSegments: 1 })).items).toEqual([]);
      expect(await store.touch('c1', clock.now(), clock.now() + HOUR)).toBe(false);
    });

    it('keeps a touched connection alive past its old expiry', async () => {
      const { store, record, clock } = await setup();
      await store.put(record('c1', 'u1', { expiresAt: clock.now() + 1000 }));

      clock.advance(500);
      const touched = await store.touch('c1', clock.now(), clock.now() + 1000);
      clock.advance(900);

      expect(touched).toBe(true);
      const stored = await store.get('c1');
      expect(stored?.lastSeenAt).toBe(clock.now() - 900);
      expect(stored?.expiresAt).toBe(clock.now() + 100);
    });

    it('adds and removes channel memberships, listing each member once', async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1'));
      await store.put(record('c2', 'u2'));

      expect(await store.addChannel('c1', 'room-1', ANY)).toBe('added');
      expect(await store.addChannel('c1', 'room-1', ANY)).toBe('added');
      await store.addChannel('c2', 'room-1', ANY);
      await store.addChannel('c2', 'room-2', ANY);
      expect(await store.removeChannel('c2', 'room-1')).toBe(true);

      expect(ids((await store.listByChannel('room-1')).items)).toEqual(['c1']);
      expect(ids((await store.listByChannel('room-2')).items)).toEqual(['c2']);
      expect((await store.get('c1'))?.channels).toEqual(['room-1']);
      expect((await store.get('c2'))?.channels).toEqual(['room-2']);
    });

    it('refuses a channel past maxChannels, and takes it once another is removed', async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1', { allowedChannels: ['*'] }));

      const added = [
        await store.addChannel('c1', 'room-1', 2),
        await store.addChannel('c1', 'room-2', 2),
        await store.addChannel('c1', 'room-2', 2),
        await store.addChannel('c1', 'room-3', 2),
      ];
      const heldWhenFull = (await store.get('c1'))?.channels;
      const room3WhenFull = (await store.listByChannel('room-3')).items;
      await store.removeChannel('c1', 'room-1');
      const afterRemoval = await store.addChannel('c1', 'room-3', 2);

      expect(added).toEqual(['added', 'added', 'added', 'full']);
      expect([...(heldWhenFull ?? [])].sort()).toEqual(['room-1', 'room-2']);
      expect(room3WhenFull).toEqual([]);
      expect(afterRemoval).toBe('added');
      expect([...((await store.get('c1'))?.channels ?? [])].sort()).toEqual(['room-2', 'room-3']);
    });

    it('never takes a connection past maxChannels, however many adds race', async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1', { allowedChannels: ['*'] }));
      const channels = Array.from({ length: 10 }, (_, i) => `race-${i}`);

      const added = await Promise.all(
        channels.map((channel) => store.addChannel('c1', channel, 3)),
      );
      const held = (await store.get('c1'))?.channels ?? [];
      const members = await Promise.all(
        channels.map(async (channel) => (await store.listByChannel(channel)).items.length),
      );

      expect(added.filter((a) => a === 'added')).toHaveLength(3);
      expect(added.filter((a) => a === 'full')).toHaveLength(7);
      expect(held).toHaveLength(3);
      expect(channels.filter((_, i) => members[i] === 1).sort()).toEqual([...held].sort());
    });

    it('answers absent, not full, for an expired connection', async () => {
      const { store, record, clock } = await setup();
      await store.put(record('c1', 'u1', { expiresAt: clock.now() + 1000 }));
      await store.addChannel('c1', 'room-1', 1);
      clock.advance(1001);

      expect(await store.addChannel('c1', 'room-2', 1)).toBe('absent');
      expect(await store.addChannel('c1', 'room-1', 1)).toBe('absent');
    });

    it('pages through a channel, giving every member exactly once', async () => {
      const { store, record } = await setup();
      const members = Array.from({ length: 23 }, (_, i) => `c${String(i).padStart(2, '0')}`);
      for (const id of members) {
        await store.put(record(id, `u-${id}`));
        await store.addChannel(id, 'big-room', ANY);
      }

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listByChannel(
          'big-room',
          cursor ? { cursor, limit: 5 } : { limit: 5 },
        );
        expect(page.items.length).toBeLessThanOrEqual(5);
        seen.push(...page.items.map((r) => r.connectionId));
        cursor = page.cursor;
        pages++;
      } while (cursor !== undefined && pages < 100);

      expect(seen.sort()).toEqual(members);
      expect(pages).toBeGreaterThanOrEqual(5);
    });

    it('splits a scan into shards that cover every connection once', async () => {
      const { store, record } = await setup();
      const all = Array.from({ length: 41 }, (_, i) => `conn-${i}`);
      for (const id of all) await store.put(record(id, `user-${id.length % 3}`));

      const seen: string[] = [];
      for (let segment = 0; segment < 4; segment++) {
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.scan(
            { segment, totalSegments: 4 },
            cursor ? { cursor, limit: 7 } : { limit: 7 },
          );
          seen.push(...page.items.map((r) => r.connectionId));
          cursor = page.cursor;
          pages++;
        } while (cursor !== undefined && pages < 100);
      }

      expect(seen.sort()).toEqual([...all].sort());
    });

    it('replaces a connection that is put again under the same id', async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1'));

      await store.put(record('c1', 'u2'));

      expect((await store.get('c1'))?.userId).toBe('u2');
      expect(await store.listByUser('u1')).toEqual([]);
      expect(ids(await store.listByUser('u2'))).toEqual(['c1']);
    });

    it("keeps a live connection's channels when the same connect is put again (a repeated connect)", async () => {
      const { store, record } = await setup();
      await store.put(record('c1', 'u1', { allowedChannels: ['room'] }));
      await store.addChannel('c1', 'room', ANY);

      await store.put(record('c1', 'u1', { allowedChannels: ['room'] }));

      expect((await store.get('c1'))?.channels).toEqual(['room']);
      expect(ids((await store.listByChannel('room')).items)).toEqual(['c1']);
    });
  });
};

export type { ConnectionStoreFactory };
export { describeConnectionStoreContract };
