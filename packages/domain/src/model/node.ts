/**
 * One embedded node's heartbeat, as the node store keeps it: the node is
 * alive while `leaseExpiresAt` is in the future. Times are epoch milliseconds.
 */
interface NodeRecord {
  /** The node's advertised management URL: the `owner.endpoint` of its connections. */
  readonly endpoint: string;
  /** Changes with every process start, so a restarted node is a different owner. */
  readonly incarnation: string;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly leaseExpiresAt: number;
}

export type { NodeRecord };
