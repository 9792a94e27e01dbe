import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/index.js';

describe('backoffDelay', () => {
  it('waits between 0 and the capped exponential, never more than the maximum', () => {
    fc.assert(
      fc.property(fc.nat(100), fc.double({ min: 0, max: 0.999999, noNaN: true }), (attempt, r) => {
        const options = { initialDelayMs: 100, maxDelayMs: 5000, multiplier: 2 };

        const delay = backoffDelay(attempt, options, () => r);

        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.min(5000, 100 * 2 ** attempt));
      }),
    );
  });

  it('spreads retries over the whole window (full jitter), growing with each attempt', () => {
    const top = (attempt: number) => backoffDelay(attempt, {}, () => 0.999);

    expect(backoffDelay(3, {}, () => 0)).toBe(0);
    expect([0, 1, 2, 3, 6, 7, 20].map(top)).toEqual([499, 999, 1998, 3996, 29970, 29970, 29970]);
  });
});
