import { describe, expect, it } from 'vitest';
import type { Clock } from '../ports/clock.js';

type ClockFactory = () => Clock;

/** The behaviour every Clock must have. */
const describeClockContract = (name: string, factory: ClockFactory): void => {
  describe(`Clock contract: ${name}`, () => {
    it('tells epoch milliseconds that never go backwards', () => {
      const clock = factory();

      const readings = Array.from({ length: 50 }, () => clock.now());

      expect(readings.every((t) => Number.isInteger(t) && t > Date.UTC(2020, 0, 1))).toBe(true);
      expect(readings).toEqual([...readings].sort((a, b) => a - b));
    });

    it('sleeps at least as long as asked', async () => {
      const clock = factory();
      const before = clock.now();

      await clock.sleep(25);

      expect(clock.now() - before).toBeGreaterThanOrEqual(25);
    });
  });
};

export type { ClockFactory };
export { describeClockContract };
