import type { IdempotencyStore } from '@herald/domain';

/**
 * Claimed request ids in this process's memory. Expired claims are swept as
 * new ones are made, so the map holds about one idempotency window of ids.
 */
class InMemoryIdempotencyStore implements IdempotencyStore {
  private readonly claims = new Map<string, number>();
  private sweptAt = 0;

  async claim(id: string, now: number, expiresAt: number): Promise<boolean> {
    this.sweep(now);
    const held = this.claims.get(id);
    if (held !== undefined && held > now) return false;
    this.claims.set(id, expiresAt);
    return true;
  }

  async release(id: string): Promise<void> {
    this.claims.delete(id);
  }

  /** Removes expired claims, at most once a second. */
  private sweep(now: number): void {
    if (now - this.sweptAt < 1000) return;
    this.sweptAt = now;
    for (const [id, expiresAt] of this.claims) if (expiresAt <= now) this.claims.delete(id);
  }
}

export { InMemoryIdempotencyStore };
