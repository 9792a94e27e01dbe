import { describe, expect, it } from 'vitest';
import type { PresenceRecord, PresenceStore } from '../ports/presence-store.js';

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
        pending: [
          {
            kind: 'presence',
            id: 'u1#1',
            userId: 'u1',
            status: 'ONLINE',
            timestamp: 1_700_000_000_000,
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
