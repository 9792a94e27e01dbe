import type { Clock } from '../ports/clock.js';

/**
 * A clock that moves only when told. `sleep` resolves when `advance` passes
 * its wake-up time, so backoff and expiry can be tested without real waiting.
 * With `autoAdvance`, a sleep moves time forward itself (for code that sleeps
 * in a loop that the test cannot step).
 */
class ManualClock implements Clock {
  private current: number;
  private sleepers: { wakeAt: number; wake: () => void }[] = [];
  /** Every sleep requested, in ms, in order. */
  readonly sleeps: number[] = [];

  constructor(
    start = Date.UTC(2026, 0, 1),
    private readonly options: { readonly autoAdvance?: boolean } = {},
  ) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    if (this.options.autoAdvance) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise((wake) => {
      this.sleepers.push({ wakeAt: this.current + ms, wake });
      this.wakeDue();
    });
  }

  advance(ms: number): void {
    this.current += ms;
    this.wakeDue();
  }

  set(epochMs: number): void {
    this.current = epochMs;
    this.wakeDue();
  }

  private wakeDue(): void {
    const due = this.sleepers.filter((s) => s.wakeAt <= this.current);
    this.sleepers = this.sleepers.filter((s) => s.wakeAt > this.current);
    for (const sleeper of due) sleeper.wake();
  }
}

export { ManualClock };
