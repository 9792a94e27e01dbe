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

    it('sleeps at least as long as asked, every time', async () => {
      const clock = factory();
      const starts = Array.from({ length: 40 }, (_, i) => ({ ms: 20 + (i % 7), at: clock.now() }));

      const slept = await Promise.all(
        starts.map(async ({ ms, at }) => {
          await clock.sleep(ms);
          return clock.now() - at - ms;
        }),
      );

      expect(Math.min(...slept)).toBeGreaterThanOrEqual(0);
    });
  });
};

export type { ClockFactory };
export { describeClockContract };
