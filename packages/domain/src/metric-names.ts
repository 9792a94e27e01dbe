import type { DeliveryOutcome, NotificationOutcome } from './ports/metrics-recorder.js';

/** The CloudWatch namespace of Herald's metrics. */
const METRICS_NAMESPACE = 'Herald';

/**
 * The CloudWatch names of what MetricsRecorder counts: the Lambda handlers
 * publish them (EMF, through Powertools Metrics) and the CDK construct's
 * dashboard graphs them, so both read them here. They are the embedded
 * server's Prometheus metrics with labels folded into names. Each carries
 * the `service` dimension; refused upgrades are also published with a
 * `reason` dimension.
 */
const METRIC_NAMES = {
  connectionsOpened: 'ConnectionsOpened',
  connectionsClosed: 'ConnectionsClosed',
  upgradesRefused: 'UpgradesRefused',
  framesIn: 'FramesIn',
  framesOut: 'FramesOut',
  notifications: {
    delivered: 'NotificationsDelivered',
    carried: 'NotificationsCarried',
    failed: 'NotificationsFailed',
    rejected: 'NotificationsRejected',
  } satisfies Record<NotificationOutcome, string>,
  deliveries: {
    delivered: 'DeliveriesDelivered',
    gone: 'DeliveriesGone',
    throttled: 'DeliveriesThrottled',
    unstarted: 'DeliveriesUnstarted',
    failed: 'DeliveriesFailed',
  } satisfies Record<DeliveryOutcome, string>,
  deliveryLatency: 'DeliveryLatency',
  presence: { ONLINE: 'PresenceOnline', OFFLINE: 'PresenceOffline' },
  storeErrors: 'StoreErrors',
  storeLatency: 'StoreLatency',
} as const;

export { METRIC_NAMES, METRICS_NAMESPACE };
