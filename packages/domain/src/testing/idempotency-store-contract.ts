import { describe, expect, it } from 'vitest';
import type { IdempotencyStore } from '../ports/idempotency-store.js';

/** A store under test: `store`, and `peer()`, another instance on the same storage. */
interface IdempotencyHarness {
  readonly store: IdempotencyStore;
  peer(): IdempotencyStore;
}

type IdempotencyHarnessFactory = () => IdempotencyHarness | Promise<IdempotencyHarness>;

const T = 1_700_000_000_000;

/** The behaviour every IdempotencyStore must have. Each test gets fresh storage. */
const describeIdempotencyStoreContract = (
  name: string,
  factory: IdempotencyHarnessFactory,
): void => {
  describe(`IdempotencyStore contract: ${name}`, () => {
    it('lets the first claim of an id win and refuses the next, from any instance', async () => {
      const { store, peer } = await factory();

      expect(await store.claim('req-1', T, T + 60_000)).toBe(true);
      expect(await store.claim('req-1', T + 1, T + 60_001)).toBe(false);
      expect(await peer().claim('req-1', T + 2, T + 60_002)).toBe(false);
      expect(await peer().claim('req-2', T + 2, T + 60_002)).toBe(true);
    });

    it('lets an id be claimed again once its claim has expired', async () => {
      const { store } = await factory();
      await store.claim('req-1', T, T + 1000);

      expect(await store.claim('req-1', T + 999, T + 2000)).toBe(false);
      expect(await store.claim('req-1', T + 1000, T + 3000)).toBe(true);
      expect(await store.claim('req-1', T + 2500, T + 4000)).toBe(false);
    });

    it('lets an id be claimed again once its claim was released', async () => {
      const { store } = await factory();
      await store.claim('req-1', T, T + 60_000);

      await store.release('req-1');
      await store.release('never-claimed');

      expect(await store.claim('req-1', T + 1, T + 60_000)).toBe(true);
    });

    it('gives exactly one of many racing claims of one id', async () => {
      const harness = await factory();
      const claimants = [harness.store, harness.peer(), harness.peer()];

      const won = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          (claimants[i % claimants.length] as IdempotencyStore).claim('req-race', T, T + 60_000),
        ),
      );

      expect(won.filter(Boolean)).toHaveLength(1);
    });
  });
};

export type { IdempotencyHarness, IdempotencyHarnessFactory };
export { describeIdempotencyStoreContract };
