import { describe, expect, it } from 'vitest';
import { KeySourceError } from '../errors.js';
import type { KeySet, KeySource } from '../ports/key-source.js';
import { freshHarness } from './fresh-harness.js';

interface KeySourceHarness {
  readonly source: KeySource;
  /** Kids the source serves at first. */
  readonly initialKids: readonly string[];
  /** Replaces the served keys with new ones; returns their kids. */
  rotate(): Promise<readonly string[]>;
  /** Makes the origin fail (unreachable, or a bad document). */
  break(): Promise<void>;
  dispose?(): Promise<void>;
}

type KeySourceHarnessFactory = () => KeySourceHarness | Promise<KeySourceHarness>;

const kids = (set: KeySet) => set.keys.map((k) => k.kid).sort();

/** The behaviour every KeySource must have. */
const describeKeySourceContract = (name: string, factory: KeySourceHarnessFactory): void => {
  describe(`KeySource contract: ${name}`, () => {
    const setup = freshHarness(factory);

    it('loads the keys its origin serves', async () => {
      const { source, initialKids } = await setup();

      const set = await source.load();

      expect(kids(set)).toEqual([...initialKids].sort());
      for (const key of set.keys) expect(['secret', 'jwk', 'spki', 'x509']).toContain(key.kind);
    });

    it('sees rotated keys when asked to refresh', async () => {
      const { source, rotate } = await setup();
      await source.load();

      const rotated = await rotate();
      const set = await source.load({ refresh: true });

      expect(kids(set)).toEqual([...rotated].sort());
    });

    it('rejects with KeySourceError when its origin fails', async () => {
      const harness = await setup();
      await harness.break();
      const { source } = harness;

      await expect(source.load({ refresh: true })).rejects.toBeInstanceOf(KeySourceError);
    });
  });
};

export type { KeySourceHarness, KeySourceHarnessFactory };
export { describeKeySourceContract };
