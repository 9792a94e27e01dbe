import type { Logger } from '@aws-lambda-powertools/logger';
import type { StoreCallFailure, StoreCallObserver } from '@herald/adapters-aws/wiring/dynamodb';

interface StoreBacklogOptions {
  /** Store calls in flight past which new work is shed (`HERALD_STORE_MAX_BACKLOG`). */
  readonly maxInFlight: number;
  /** What a shed or store_unavailable answer tells callers to wait, in seconds (`Retry-After`). */
  readonly retryAfterSeconds: number;
  readonly logger: Logger;
}

/**
 * The embedded server's view of its store calls in flight (the DynamoDB
 * client's observer), and the one place that decides to shed load.
 *
 * When more than `maxInFlight` calls are in flight, the server sheds: new
 * WebSocket upgrades and backend requests are answered 503 with
 * `Retry-After`, instead of queueing more calls behind a store that does not
 * keep up. It sheds until at most half the bound is in flight (so a backlog
 * hovering at the bound does not flap), and logs one WARN when shedding starts
 * and one when it ends, with how much it refused. Every call that runs out of
 * time or retries is logged at WARN with its operation and table.
 */
class StoreBacklog implements StoreCallObserver {
  readonly retryAfterSeconds: number;
  private inFlightNow = 0;
  private sheddingSince: number | undefined;
  private refusedWhileShedding = 0;

  constructor(private readonly options: StoreBacklogOptions) {
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** Store calls in flight now. */
  get inFlight(): number {
    return this.inFlightNow;
  }

  /** True while new upgrades and backend requests are to be refused. */
  get shedding(): boolean {
    return this.sheddingSince !== undefined;
  }

  /** Counts one upgrade or request refused because of the backlog, for the WARN that ends shedding. */
  refused(): void {
    this.refusedWhileShedding += 1;
  }

  started(): void {
    this.inFlightNow += 1;
    if (this.sheddingSince === undefined && this.inFlightNow > this.options.maxInFlight) {
      this.sheddingSince = Date.now();
      this.refusedWhileShedding = 0;
      this.options.logger.warn(
        'store backlog over its bound: refusing new upgrades and backend requests with 503',
        { inFlight: this.inFlightNow, maxBacklog: this.options.maxInFlight },
      );
    }
  }

  ended(): void {
    this.inFlightNow -= 1;
    if (
      this.sheddingSince !== undefined &&
      this.inFlightNow <= Math.floor(this.options.maxInFlight / 2)
    ) {
      this.options.logger.warn('store backlog back under its bound: accepting again', {
        inFlight: this.inFlightNow,
        maxBacklog: this.options.maxInFlight,
        refused: this.refusedWhileShedding,
        shedForMs: Date.now() - this.sheddingSince,
      });
      this.sheddingSince = undefined;
    }
  }

  unavailable(failure: StoreCallFailure): void {
    this.options.logger.warn('store call failed: no answer within its timeout and retries', {
      ...failure,
    });
  }
}

export type { StoreBacklogOptions };
export { StoreBacklog };
