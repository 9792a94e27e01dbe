import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../model/node.js';
import type { NodeStore } from '../ports/node-store.js';

type NodeStoreFactory = () => NodeStore | Promise<NodeStore>;

/**
 * Where the suite's instants count from: now, because the DynamoDB adapters give
 * their items a TTL from it, and DynamoDB Local (as DynamoDB, eventually)
 * deletes items whose TTL has passed, in the middle of a test.
 */
const START = Date.now();

/** A node's record, `at` ms after START. */
const node = (endpoint: string, incarnation: string, at: number, leaseMs = 1000): NodeRecord => ({
  endpoint,
  incarnation,
  startedAt: START + 1000,
  heartbeatAt: START + at,
  leaseExpiresAt: START + at + leaseMs,
});

/** The behaviour every NodeStore must have. Each test gets a fresh store. */
const describeNodeStoreContract = (name: string, factory: NodeStoreFactory): void => {
  describe(`NodeStore contract: ${name}`, () => {
    it('stores a beat and answers it, with nothing replaced the first time', async () => {
      const store = await factory();
      const beat = node('http://10.0.0.1:8080', 'inc-a', 5000);

      expect(await store.beat(beat)).toBeUndefined();

      expect(await store.get(beat.endpoint)).toEqual(beat);
      expect(await store.get('http://10.0.0.9:8080')).toBeUndefined();
    });

    it('answers the record a beat replaced: the same node, or a predecessor under the URL', async () => {
      const store = await factory();
      const first = node('http://10.0.0.1:8080', 'inc-a', 5000);
      const second = node('http://10.0.0.1:8080', 'inc-a', 6000);
      const restarted = node('http://10.0.0.1:8080', 'inc-b', 7000);

      await store.beat(first);
      const replaced = await store.beat(second);
      const predecessor = await store.beat(restarted);

      expect(replaced).toEqual(first);
      expect(predecessor).toEqual(second);
      expect(await store.get(first.endpoint)).toEqual(restarted);
    });

    it('lists every node, lapsed ones included', async () => {
      const store = await factory();
      const a = node('http://10.0.0.1:8080', 'inc-a', 5000);
      const b = node('http://10.0.0.2:8080', 'inc-b', 1000, 10);

      await store.beat(a);
      await store.beat(b);

      const listed = [...(await store.list())].sort((x, y) => x.endpoint.localeCompare(y.endpoint));
      expect(listed).toEqual([a, b]);
    });

    it('retires a record only while it is exactly the one read, for one caller', async () => {
      const store = await factory();
      const lapsed = node('http://10.0.0.2:8080', 'inc-b', 1000, 10);
      await store.beat(lapsed);

      const outcomes = await Promise.all([store.retire(lapsed), store.retire(lapsed)]);

      expect(outcomes.sort()).toEqual([false, true]);
      expect(await store.get(lapsed.endpoint)).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('does not retire a node that beat again since it was read', async () => {
      const store = await factory();
      const read = node('http://10.0.0.2:8080', 'inc-b', 1000, 10);
      const again = node('http://10.0.0.2:8080', 'inc-b', 2000, 10);
      await store.beat(read);
      await store.beat(again);

      expect(await store.retire(read)).toBe(false);

      expect(await store.get(read.endpoint)).toEqual(again);
    });
  });
};

export type { NodeStoreFactory };
export { describeNodeStoreContract };
