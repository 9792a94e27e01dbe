import {
  type Clock,
  type ConnectionGateway,
  type ConnectionRegistry,
  type DeliverOptions,
  type DeliveryReport,
  duplicateReport,
  isBroadcast,
  NotificationFanout,
  type NotificationFanoutOptions,
  type NotificationRequest,
} from '@herald/domain';
import type { PeerHandoff } from './peer-handoff.js';

/**
 * The fanout of a node in a cluster. A request that reaches only users and
 * connections is resolved here and each target posted through the routing
 * gateway: directly for this node's sockets, in one hop to its owner for any
 * other. A broadcast, or a request with channels, is handed once to each live
 * node instead, which delivers it to its own sockets: one call per node, not
 * one per connection. Continuations and shard messages (their targets already
 * chosen) go through the routing gateway as they are.
 *
 * History is kept once, here, by the node that takes the request: its stamp
 * (the streams' offsets and the request's id) travels with every hand-off,
 * and the peers frame their envelopes with it instead of keeping the request
 * again, so a request has one offset per stream and one claim of its id,
 * however many nodes deliver it.
 */
class ClusterFanout extends NotificationFanout {
  constructor(
    registry: ConnectionRegistry,
    gateway: ConnectionGateway,
    clock: Clock,
    options: NotificationFanoutOptions,
    private readonly handoff: PeerHandoff,
  ) {
    super(registry, gateway, clock, options);
  }

  override async deliver(
    request: NotificationRequest,
    options: DeliverOptions = {},
  ): Promise<DeliveryReport> {
    if (!isBroadcast(request) && request.channels.length === 0) {
      return super.deliver(request, options);
    }
    // Refused before any node posts, as a single node would.
    this.encode(request);
    const recorded = options.stamp ?? (await this.record(request));
    if (recorded !== undefined && 'duplicate' in recorded) {
      return duplicateReport(recorded.duplicate);
    }
    return this.handoff.deliver(request, recorded);
  }
}

export { ClusterFanout };
