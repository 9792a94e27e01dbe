/** How long to wait before reconnect attempts: full-jitter exponential backoff, bounded. */
interface BackoffOptions {
  /** The cap of the first wait. @default 500 */
  readonly initialDelayMs?: number;
  /** No wait is longer than this. @default 30000 */
  readonly maxDelayMs?: number;
  /** Each failed attempt multiplies the cap by this. @default 2 */
  readonly multiplier?: number;
}

/**
 * The wait before retry number `attempt` (0 for the first retry): a uniformly
 * random time between 0 and min(max, initial × multiplier^attempt), the "full
 * jitter" of AWS's backoff analysis, so that clients dropped together do not
 * come back together.
 */
const backoffDelay = (attempt: number, options: BackoffOptions, random: () => number): number => {
  const { initialDelayMs = 500, maxDelayMs = 30_000, multiplier = 2 } = options;
  const cap = Math.min(maxDelayMs, initialDelayMs * multiplier ** Math.min(attempt, 64));
  return Math.floor(random() * cap);
};

export type { BackoffOptions };
export { backoffDelay };
