import { describe, expect, it } from 'vitest';
import type { HistoryRetention } from '../model/stream.js';
import type { HistoryStore, NewHistoryEntry } from '../ports/history-store.js';
import { ManualClock } from './manual-clock.js';

/**
 * A store under test, on a clock the test moves: `store`, and `peer()`,
 * another instance on the same storage (another node or Lambda; a memory
 * store, being one process's, answers itself).
 */
interface HistoryHarness {
  readonly store: HistoryStore;
  peer(): HistoryStore;
}

type HistoryHarnessFactory = (
  clock: ManualClock,
  retention: HistoryRetention,
) => HistoryHarness | Promise<HistoryHarness>;

/**
 * Where the suite's clock starts: now, because the DynamoDB adapters give
 * their items a TTL from it, and DynamoDB Local (as DynamoDB, eventually)
 * deletes items whose TTL has passed, in the middle of a test.
 */
const START = Math.floor(Date.now() / 1000) * 1000;

const HOUR = 3_600_000;
const retention: HistoryRetention = {
  user: { maxEntries: 3, maxAgeMs: HOUR },
  channel: { maxEntries: 100, maxAgeMs: 60_000 },
  broadcast: { maxEntries: 100, maxAgeMs: HOUR },
};

const entry = (id: string, at: number, extra: Partial<NewHistoryEntry> = {}): NewHistoryEntry => ({
  id,
  data: JSON.stringify({ n: id }),
  at,
  ...extra,
});

/** The behaviour every HistoryStore must have. Each test gets fresh storage. */
const describeHistoryStoreContract = (name: string, factory: HistoryHarnessFactory): void => {
  describe(`HistoryStore contract: ${name}`, () => {
    it('reads a stream never appended to as offset 0, with no entries', async () => {
      const { store } = await factory(new ManualClock(START), retention);

      const read = await store.read('user:nobody', 0);

      expect(read.offset).toBe(0);
      expect(read.entries).toEqual([]);
      expect(typeof read.epoch).toBe('string');
      expect(read.epoch.length).toBeGreaterThan(0);
    });

    it('gives appends offsets 1, 2, 3 in one epoch and reads them back in order', async () => {
      const clock = new ManualClock(START);
      const { store } = await factory(clock, retention);

      const first = await store.append('channel:room-1', entry('a', clock.now()));
      const second = await store.append('channel:room-1', entry('b', clock.now() + 1));
      const third = await store.append('channel:room-1', entry('c', clock.now() + 2));
      const all = await store.read('channel:room-1', 0);
      const after = await store.read('channel:room-1', 2);

      expect([first.offset, second.offset, third.offset]).toEqual([1, 2, 3]);
      expect(new Set([first.epoch, second.epoch, third.epoch, all.epoch]).size).toBe(1);
      expect(all.offset).toBe(3);
      expect(all.entries).toEqual([
        {
          stream: 'channel:room-1',
          offset: 1,
          epoch: first.epoch,
          id: 'a',
          data: '{"n":"a"}',
          at: START,
        },
        {
          stream: 'channel:room-1',
          offset: 2,
          epoch: first.epoch,
          id: 'b',
          data: '{"n":"b"}',
          at: START + 1,
        },
        {
          stream: 'channel:room-1',
          offset: 3,
          epoch: first.epoch,
          id: 'c',
          data: '{"n":"c"}',
          at: START + 2,
        },
      ]);
      expect(after.entries.map((e) => e.id)).toEqual(['c']);
    });

    it('keeps each stream its own offsets', async () => {
      const clock = new ManualClock(START);
      const { store } = await factory(clock, retention);

      await store.append('user:u1', entry('a', clock.now()));
      const other = await store.append('user:u2', entry('b', clock.now()));

      expect(other.offset).toBe(1);
      expect((await store.read('user:u1', 0)).entries.map((e) => e.id)).toEqual(['a']);
      expect((await store.read('user:u2', 0)).entries.map((e) => e.id)).toEqual(['b']);
    });

    it('keeps the users a request excluded with its entry', async () => {
      const clock = new ManualClock(START);
      const { store } = await factory(clock, retention);

      await store.append('broadcast', entry('a', clock.now(), { excludeUsers: ['u2', 'u3'] }));

      expect((await store.read('broadcast', 0)).entries[0]?.excludeUsers).toEqual(['u2', 'u3']);
    });

    it('drops entries past the count its stream kind retains, and keeps counting', async () => {
      const clock = new ManualClock(START);
      const { store } = await factory(clock, retention);

      for (const id of ['a', 'b', 'c', 'd', 'e'])
        await store.append('user:u1', entry(id, clock.now()));
      const read = await store.read('user:u1', 0);

      expect(read.offset).toBe(5);
      expect(read.entries.map((e) => e.offset)).toEqual([3, 4, 5]);
      expect((await store.read('channel:x', 0)).offset).toBe(0);
    });

    it('treats entries older than its stream kind retains as absent', async () => {
      const clock = new ManualClock(START);
      const { store } = await factory(clock, retention);
      await store.append('channel:room-1', entry('old', clock.now()));
      clock.advance(50_000);
      await store.append('channel:room-1', entry('new', clock.now()));

      clock.advance(20_000);
      const read = await store.read('channel:room-1', 0);

      expect(read.offset).toBe(2);
      expect(read.entries.map((e) => e.id)).toEqual(['new']);
    });

    it('gives writers racing on one stream unique offsets with no gap, in one epoch', async () => {
      const clock = new ManualClock(START);
      const harness = await factory(clock, {
        ...retention,
        broadcast: { maxEntries: 1000, maxAgeMs: HOUR },
      });
      const writers = [harness.store, harness.peer(), harness.peer()];
      const count = 60;

      const positions = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          (writers[i % writers.length] as HistoryStore).append(
            'broadcast',
            entry(`r${i}`, clock.now()),
          ),
        ),
      );
      const read = await harness.peer().read('broadcast', 0);

      const offsets = positions.map((p) => p.offset).sort((a, b) => a - b);
      expect(offsets).toEqual(Array.from({ length: count }, (_, i) => i + 1));
      expect(new Set(positions.map((p) => p.epoch))).toEqual(new Set([read.epoch]));
      expect(read.entries.map((e) => e.offset)).toEqual(offsets);
      expect(new Set(read.entries.map((e) => e.id)).size).toBe(count);
    });
  });
};

export type { HistoryHarness, HistoryHarnessFactory };
export { describeHistoryStoreContract };
