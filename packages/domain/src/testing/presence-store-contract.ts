import { describe, expect, it } from 'vitest';
import type { PresenceRecord, PresenceStore, PresenceUpdate } from '../ports/presence-store.js';

type PresenceStoreFactory = () => PresenceStore | Promise<PresenceStore>;

const record = (
  userId: string,
  version: number,
  extra: Partial<PresenceRecord> = {},
): PresenceRecord => ({
  userId,
  version,
  online: false,
  connections: {},
  departed: {},
  lastSeenAt: 0,
  pending: [],
  ...extra,
});

const update = (
  userId: string,
  version: number,
  extra: Partial<PresenceUpdate> = {},
): PresenceUpdate => ({
  userId,
  version,
  online: false,
  lastSeenAt: 0,
  pending: [],
  forget: [],
  disconnect: [],
  tombstones: [],
  connect: [],
  ...extra,
});

/** The behaviour every PresenceStore must have. Each test gets a fresh store. */
const describePresenceStoreContract = (name: string, factory: PresenceStoreFactory): void => {
  describe(`PresenceStore contract: ${name}`, () => {
    it('answers undefined for a user it never stored', async () => {
      const store = await factory();

      expect(await store.get('nobody')).toBeUndefined();
      expect(await store.getMany(['nobody'])).toEqual([]);
    });

    it('creates a record only when none exists (expected version 0)', async () => {
      const store = await factory();
      const first = record('u1', 1, {
        online: true,
        connections: { c1: 5000 },
        nextExpiryAt: 5000,
      });

      expect(await store.compareAndSet(first, 0)).toBe(true);
      expect(await store.compareAndSet(record('u1', 1), 0)).toBe(false);
      expect(await store.get('u1')).toEqual(first);
    });

    it('updates only from the version it expects', async () => {
      const store = await factory();
      await store.compareAndSet(record('u1', 1), 0);
      const second = record('u1', 2, { online: true, connections: { c1: 9000 }, lastSeenAt: 10 });

      expect(await store.compareAndSet(record('u1', 2, { lastSeenAt: 99 }), 5)).toBe(false);
      expect(await store.compareAndSet(second, 1)).toBe(true);
      expect(await store.compareAndSet(record('u1', 2), 1)).toBe(false);
      expect(await store.get('u1')).toEqual(second);
    });

    it('lets exactly one of many racing writers win', async () => {
      const store = await factory();
      await store.compareAndSet(record('u1', 1), 0);

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.compareAndSet(record('u1', 2, { lastSeenAt: i }), 1),
        ),
      );

      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await store.get('u1'))?.version).toBe(2);
    });

    it('round-trips connections, tombstones and the outbox', async () => {
      const store = await factory();
      const full = record('u1', 1, {
        online: true,
        connections: { 'conn-a': 1_700_000_100_000, 'conn-b': 1_700_000_200_000 },
        departed: { 'conn-z': 1_700_000_300_000 },
        lastSeenAt: 1_700_000_000_000,
        nextExpiryAt: 1_700_000_100_000,
        changedAt: 1_700_000_000_000,
        pending: [
          {
            event: {
              kind: 'presence',
              id: 'u1#1',
              userId: 'u1',
              status: 'ONLINE',
              timestamp: 1_700_000_000_000,
              version: 1,
            },
            leaseUntil: 1_700_000_030_000,
          },
        ],
      });

      await store.compareAndSet(full, 0);

      expect(await store.get('u1')).toEqual(full);
    });

    it('gets several users at once, leaving out unknown ones', async () => {
      const store = await factory();
      await store.compareAndSet(record('a', 1), 0);
      await store.compareAndSet(record('b', 1), 0);

      const found = await store.getMany(['a', 'x', 'b']);

      expect(found.map((r) => r.userId).sort()).toEqual(['a', 'b']);
    });

    it('finds users with connections expiring by an instant, without listing others', async () => {
      const store = await factory();
      await store.compareAndSet(
        record('soon', 1, { connections: { c: 100 }, nextExpiryAt: 100 }),
        0,
      );
      await store.compareAndSet(
        record('also', 1, { connections: { c: 150 }, nextExpiryAt: 150 }),
        0,
      );
      await store.compareAndSet(
        record('later', 1, { connections: { c: 900 }, nextExpiryAt: 900 }),
        0,
      );
      await store.compareAndSet(record('offline', 1), 0);

      expect([...(await store.listExpiring(200, 10))].sort()).toEqual(['also', 'soon']);
      expect(await store.listExpiring(200, 1)).toHaveLength(1);
      expect(await store.listExpiring(50, 10)).toEqual([]);
    });

    it('gives a version-0 snapshot with nothing in it for a user it never stored', async () => {
      const store = await factory();

      const snapshot = await store.snapshot('nobody');

      expect(snapshot).toMatchObject({ userId: 'nobody', version: 0, online: false, pending: [] });
      expect(snapshot.connectionCount).toBe(0);
      expect(snapshot.connectionExpiry('c')).toBeUndefined();
      expect(snapshot.connectionsExpiredBy(Number.MAX_SAFE_INTEGER)).toEqual([]);
      expect(snapshot.tombstonesDueBy(Number.MAX_SAFE_INTEGER)).toEqual([]);
    });

    it('commits an update only from the version of its snapshot, deriving the next expiry', async () => {
      const store = await factory();
      const base = await store.snapshot('u1');
      const first = update('u1', 1, {
        online: true,
        lastSeenAt: 10,
        connect: [
          ['c1', 5000],
          ['c2', 4000],
        ],
      });

      const committed = await store.commitUpdate(base, first);
      const again = await store.commitUpdate(base, update('u1', 1));

      expect(committed).toMatchObject({ version: 1, online: true, connectionCount: 2 });
      expect(again).toBeUndefined();
      expect(await store.get('u1')).toEqual(
        record('u1', 1, {
          online: true,
          lastSeenAt: 10,
          connections: { c1: 5000, c2: 4000 },
          nextExpiryAt: 4000,
        }),
      );
    });

    it('answers a snapshot from the stored record and applies forget, disconnect, tombstones and connect', async () => {
      const store = await factory();
      await store.compareAndSet(
        record('u1', 3, {
          online: true,
          connections: { a: 100, b: 900, c: 700 },
          departed: { x: 50, y: 800 },
          lastSeenAt: 20,
          nextExpiryAt: 100,
        }),
        0,
      );

      const snapshot = await store.snapshot('u1');
      // Lookups hold until the next commit (a store may answer them live).
      const read = {
        count: snapshot.connectionCount,
        expiries: [snapshot.connectionExpiry('b'), snapshot.connectionExpiry('x')],
        tombstones: [snapshot.tombstoneUntil('y'), snapshot.tombstoneUntil('b')],
        expiredBy700: [...snapshot.connectionsExpiredBy(700)].sort(),
        dueBy60: snapshot.tombstonesDueBy(60),
        dueBy10: snapshot.tombstonesDueBy(10),
      };
      const committed = await store.commitUpdate(
        snapshot,
        update('u1', 4, {
          online: true,
          lastSeenAt: 30,
          forget: ['x'],
          disconnect: ['a', 'c'],
          tombstones: [
            ['a', 5000],
            ['c', 5100],
          ],
          connect: [['d', 1200]],
        }),
      );

      expect(snapshot).toMatchObject({ version: 3, online: true, lastSeenAt: 20 });
      expect(read).toEqual({
        count: 3,
        expiries: [900, undefined],
        tombstones: [800, undefined],
        expiredBy700: [
          ['a', 100],
          ['c', 700],
        ],
        dueBy60: ['x'],
        dueBy10: [],
      });
      expect(committed?.version).toBe(4);
      expect(await store.get('u1')).toEqual(
        record('u1', 4, {
          online: true,
          connections: { b: 900, d: 1200 },
          departed: { y: 800, a: 5000, c: 5100 },
          lastSeenAt: 30,
          nextExpiryAt: 900,
        }),
      );
    });

    it('lets exactly one of many racing commits from the same snapshot win', async () => {
      const store = await factory();
      await store.compareAndSet(record('u1', 1), 0);
      const base = await store.snapshot('u1');

      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.commitUpdate(base, update('u1', 2, { lastSeenAt: i })),
        ),
      );

      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      expect((await store.get('u1'))?.version).toBe(2);
    });

    it('stops listing a user whose last expiring connection an update removed', async () => {
      const store = await factory();
      const created = await store.commitUpdate(
        await store.snapshot('u1'),
        update('u1', 1, { online: true, connect: [['c', 100]] }),
      );

      const before = await store.listExpiring(200, 10);
      await store.commitUpdate(
        created ?? (await store.snapshot('u1')),
        update('u1', 2, { disconnect: ['c'], tombstones: [['c', 4100]] }),
      );

      expect(before).toEqual(['u1']);
      expect(await store.listExpiring(200, 10)).toEqual([]);
      expect((await store.get('u1'))?.nextExpiryAt).toBeUndefined();
    });

    it('stops listing a user whose expiring connections were written away', async () => {
      const store = await factory();
      await store.compareAndSet(record('u1', 1, { connections: { c: 100 }, nextExpiryAt: 100 }), 0);

      await store.compareAndSet(record('u1', 2), 1);

      expect(await store.listExpiring(200, 10)).toEqual([]);
    });
  });
};

export type { PresenceStoreFactory };
export { describePresenceStoreContract };
