import { setTimeout as delay } from 'node:timers/promises';
import type { Clock } from '@herald/domain';

/** The real clock. */
class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  /**
   * Node's timers run on the event loop's cached time, so a timer can fire a
   * millisecond before `Date.now()` shows its delay as passed. The Clock
   * contract is "at least `ms`", which backoff budgets rely on, so any
   * shortfall is slept off.
   */
  async sleep(ms: number): Promise<void> {
    const until = Date.now() + ms;
    await delay(ms);
    for (let left = until - Date.now(); left > 0; left = until - Date.now()) await delay(left);
  }
}

export { SystemClock };
