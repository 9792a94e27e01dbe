import { afterEach } from 'vitest';

/**
 * For a contract suite: makes a fresh harness per test and disposes of it
 * after the test, so no emulator resource outlives its test.
 */
const freshHarness = <H extends { dispose?(): Promise<void> }>(factory: () => H | Promise<H>) => {
  let current: H | undefined;
  afterEach(async () => {
    await current?.dispose?.();
    current = undefined;
  });
  return async (): Promise<H> => {
    current = await factory();
    return current;
  };
};

export { freshHarness };
