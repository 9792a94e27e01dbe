import type { Clock } from '../ports/clock.js';

interface Sleeper {
  readonly wakeAt: number;
  readonly order: number;
  readonly wake: () => void;
}

/**
 * Simulated time for code whose work is all in memory: time stands still
 * while anything can run, and jumps to the next wake-up once every promise
 * has settled (checked on the next turn of the event loop). A thousand posts
 * of 30 ms each, 64 at a time, thus take 480 ms on this clock and almost no
 * wall time. Sleepers due at the same instant wake in the order they slept.
 */
class SimulatedClock implements Clock {
  private current: number;
  private readonly heap: Sleeper[] = [];
  private order = 0;
  private scheduled = false;

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.push({ wakeAt: this.current + Math.max(0, ms), order: this.order++, wake });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.scheduled = false;
    const first = this.heap[0];
    if (first === undefined) return;
    this.current = Math.max(this.current, first.wakeAt);
    while (this.heap[0] !== undefined && this.heap[0].wakeAt <= this.current) {
      (this.pop() as Sleeper).wake();
    }
    if (this.heap.length > 0) this.schedule();
  }

  private before(a: Sleeper, b: Sleeper): boolean {
    return a.wakeAt < b.wakeAt || (a.wakeAt === b.wakeAt && a.order < b.order);
  }

  private push(sleeper: Sleeper): void {
    const heap = this.heap;
    heap.push(sleeper);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(heap[i] as Sleeper, heap[parent] as Sleeper)) break;
      [heap[i], heap[parent]] = [heap[parent] as Sleeper, heap[i] as Sleeper];
      i = parent;
    }
  }

  private pop(): Sleeper | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || last === undefined) return top;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && this.before(heap[left] as Sleeper, heap[least] as Sleeper)) {
        least = left;
      }
      if (right < heap.length && this.before(heap[right] as Sleeper, heap[least] as Sleeper)) {
        least = right;
      }
      if (least === i) return top;
      [heap[i], heap[least]] = [heap[least] as Sleeper, heap[i] as Sleeper];
      i = least;
    }
  }
}

export { SimulatedClock };
