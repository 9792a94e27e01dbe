/** Where a client is in one stream: the epoch of its history and the last offset it received. */
interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** A notification in the `herald.v1` envelope. */
interface StreamEntry {
  readonly stream: string;
  readonly offset: number;
  readonly epoch: string;
  readonly id: string | undefined;
  readonly data: unknown;
}

/**
 * Keeps the last position in each stream, drops entries already seen, and,
 * while a resume is in flight, holds entries back so that they come out in
 * offset order once the server says the replay is over (a live entry may
 * overtake the replay).
 */
class StreamTracker {
  private readonly positions = new Map<string, StreamPosition>();
  private held: StreamEntry[] | undefined;

  constructor(initial: Record<string, StreamPosition> = {}) {
    for (const [stream, position] of Object.entries(initial)) {
      if (isPosition(position)) this.positions.set(stream, position);
    }
  }

  /** Every position, as `resume` sends them and storage keeps them. */
  snapshot(): Record<string, StreamPosition> {
    return Object.fromEntries(this.positions);
  }

  get size(): number {
    return this.positions.size;
  }

  /** From now until `release`, entries are held back and sorted. */
  hold(): void {
    this.held ??= [];
  }

  /** Takes an entry; returns those to deliver now, in order (none while held, or for a duplicate). */
  accept(entry: StreamEntry): StreamEntry[] {
    if (this.held !== undefined) {
      this.held.push(entry);
      return [];
    }
    return this.advance(entry) ? [entry] : [];
  }

  /**
   * Ends a hold: sets the positions the server reported (for a stream it
   * could not recover, the new epoch and offset), then delivers what was held,
   * in offset order, without duplicates.
   */
  release(reported: Record<string, StreamPosition & { recovered: boolean }> = {}): StreamEntry[] {
    const held = this.held ?? [];
    this.held = undefined;
    const lost = Object.entries(reported).filter(([, answer]) => !answer.recovered);
    // A stream that could not be recovered starts afresh: what was held of it is delivered.
    for (const [stream] of lost) this.positions.delete(stream);
    held.sort((a, b) => a.offset - b.offset);
    const delivered = held.filter((entry) => this.advance(entry));
    for (const [stream, answer] of lost) {
      const known = this.positions.get(stream);
      if (isPosition(answer) && (known === undefined || known.epoch !== answer.epoch)) {
        this.positions.set(stream, { epoch: answer.epoch, offset: answer.offset });
      }
    }
    return delivered;
  }

  /** True when the entry is new: later than the stream's position, or of another epoch. */
  private advance(entry: StreamEntry): boolean {
    const known = this.positions.get(entry.stream);
    if (known !== undefined && known.epoch === entry.epoch && entry.offset <= known.offset) {
      return false;
    }
    this.positions.set(entry.stream, { epoch: entry.epoch, offset: entry.offset });
    return true;
  }
}

const isPosition = (value: unknown): value is StreamPosition =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as StreamPosition).epoch === 'string' &&
  Number.isSafeInteger((value as StreamPosition).offset);

export type { StreamEntry, StreamPosition };
export { isPosition, StreamTracker };
