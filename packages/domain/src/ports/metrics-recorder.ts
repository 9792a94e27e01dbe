/** How a delivery to one target ended, as a DeliveryReport counts it. */
type DeliveryOutcome = 'delivered' | 'gone' | 'throttled' | 'unstarted' | 'failed';

/**
 * How one notification request ended:
 * - `delivered`: every target ended delivered or gone;
 * - `carried`: some targets were left (throttled, unstarted) for a continuation;
 * - `failed`: some target failed permanently;
 * - `rejected`: the request was refused before any post (malformed, too large).
 */
type NotificationOutcome = 'delivered' | 'carried' | 'failed' | 'rejected';

/**
 * What Herald counts, told as it happens, so that each runtime can record it
 * with its own tool (Prometheus on the embedded server, CloudWatch EMF on
 * Lambda). Nothing here names a metrics library; every method is cheap and
 * never throws.
 */
interface MetricsRecorder {
  /** A WebSocket connection was accepted. */
  connectionOpened(): void;
  /** A WebSocket connection ended. */
  connectionClosed(): void;
  /** An upgrade was refused before the handshake completed (`unauthorized`, a token denial code, `cap_user`, …). */
  upgradeRefused(reason: string): void;
  /** A client frame arrived. */
  frameIn(): void;
  /** A frame went out to a client (a notification, a reply or an error frame). */
  frameOut(): void;
  /** A notification request ended so. */
  notification(outcome: NotificationOutcome): void;
  /** `count` targets of one request ended so. */
  deliveries(outcome: DeliveryOutcome, count: number): void;
  /** Time one request's delivery took, from accepted to report, in ms. */
  deliveryLatency(ms: number): void;
  /** A user went ONLINE or OFFLINE (one per committed transition). */
  presenceTransition(status: 'ONLINE' | 'OFFLINE'): void;
  /** One call to a store's operation took `ms`, and failed or not. */
  storeCall(
    store: 'connections' | 'presence',
    operation: string,
    ms: number,
    failed: boolean,
  ): void;
}

export type { DeliveryOutcome, MetricsRecorder, NotificationOutcome };
