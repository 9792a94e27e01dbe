/**
 * Request ids already delivered, for idempotent publish. Claims are shared by
 * every node and Lambda: the first claim of an id wins until it expires, and
 * any other, racing or later, loses.
 */
interface IdempotencyStore {
  /**
   * Claims `id` until `expiresAt` (epoch ms). True when this call claimed it;
   * false when an unexpired claim exists (its claimant delivers it).
   */
  claim(id: string, now: number, expiresAt: number): Promise<boolean>;
  /** Gives a claim up (its delivery failed before anything was kept), so that a retry may claim it again. */
  release(id: string): Promise<void>;
}

export type { IdempotencyStore };
