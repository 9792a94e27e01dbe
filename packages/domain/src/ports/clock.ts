/** Time, behind a port so that services never read the system clock directly. */
interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves once `ms` milliseconds have passed on this clock. */
  sleep(ms: number): Promise<void>;
}

export type { Clock };
