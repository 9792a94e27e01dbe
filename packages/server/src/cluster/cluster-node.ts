import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '@aws-lambda-powertools/logger';
import type * as ApiGateway from '@herald/adapters-aws/apigateway';
import {
  type Clock,
  ConfigurationError,
  type ConnectionLifecycleListener,
  type ConnectionOwner,
  ConnectionRegistry,
  type ConnectionRegistryOptions,
  type ConnectionStore,
  NodeLiveness,
  type NodeRecord,
  type NodeStore,
  NotificationFanout,
  type NotificationFanoutOptions,
  RoutingConnectionGateway,
} from '@herald/domain';
import { LocalConnectionView } from '../local-connection-view.js';
import type { ManagementCredentials } from '../management-api.js';
import type { SigV4AccessKey } from '../sigv4-verifier.js';
import type { WsConnectionGateway } from '../ws-connection-gateway.js';
import { ClusterFanout } from './cluster-fanout.js';
import { HANDOFF_ROUTE, PeerHandoff, serveHandoff } from './peer-handoff.js';

/** How an embedded node joins the others sharing its tables. */
interface ClusterOptions {
  /**
   * This node's URL as the other nodes reach it: the origin of its HTTP API
   * and management API (`http://10.0.3.7:8080`). It names the owner of every
   * connection this node holds, so it must be unique to the node and stable.
   */
  readonly advertiseUrl: string;
  /** Where the nodes' heartbeats are kept (the connections table on DynamoDB). */
  readonly nodeStore: NodeStore;
  /**
   * The key pair this node signs its calls to the others with (SigV4). Every
   * node must accept it: list it in every node's `managementAccessKeys`.
   */
  readonly accessKey: SigV4AccessKey;
  /** How often the node renews its lease and checks the others'. @default 5000 */
  readonly heartbeatMs?: number;
  /** A node not heard from this long is dead, and its connections are removed. @default 15000 */
  readonly leaseMs?: number;
  /** @default a random UUID, new with every start */
  readonly incarnation?: string;
  /** The region in signatures; Herald's verifier accepts any. @default AWS_REGION, else 'us-east-1' */
  readonly region?: string;
  /**
   * The API Gateway clients the node calls the others with, from
   * `@herald/adapters-aws/apigateway`: passed in (the CLI imports it only for
   * a cluster) so that a single node never loads the AWS packages.
   */
  readonly apiGateway: Pick<typeof ApiGateway, 'ApiGatewayConnectionGateway' | 'SigV4PostSigner'>;
}

/** The advertised URL as an owner's endpoint: its origin, with no trailing slash. */
const advertisedEndpoint = (advertiseUrl: string): string => {
  let url: URL;
  try {
    url = new URL(advertiseUrl);
  } catch {
    throw new ConfigurationError('advertiseUrl', `"${advertiseUrl}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigurationError('advertiseUrl', `must be http or https, got ${url.protocol}`);
  }
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(
      'advertiseUrl',
      `give the origin only (scheme, host, port), got "${advertiseUrl}"`,
    );
  }
  return url.origin;
};

/** The owner a node records on its connections, decided once per start. */
const clusterOwner = (options: ClusterOptions): Required<ConnectionOwner> => ({
  endpoint: advertisedEndpoint(options.advertiseUrl),
  incarnation: options.incarnation ?? randomUUID(),
});

interface ClusterParts {
  readonly owner: Required<ConnectionOwner>;
  readonly store: ConnectionStore;
  /** The registry the WebSocket endpoint opens connections with (recording `owner`). */
  readonly registry: ConnectionRegistry;
  readonly registryOptions: ConnectionRegistryOptions;
  readonly listener: ConnectionLifecycleListener;
  readonly sockets: WsConnectionGateway;
  readonly clock: Clock;
  readonly fanoutOptions: NotificationFanoutOptions;
  /** Who may hand requests to this node (the management API's credentials). */
  readonly credentials: ManagementCredentials;
  readonly logger: Logger;
}

interface ClusterNode {
  /** Delivers requests across the cluster (see ClusterFanout). */
  readonly fanout: NotificationFanout;
  /** Writes the first heartbeat (clearing a predecessor's connections), then beats on a timer. */
  start(): Promise<void>;
  /** Stops beating and retires this node's record, so peers stop handing it requests. */
  stop(): Promise<void>;
  /** Serves the hand-off route; false for any other path. */
  serve(request: IncomingMessage, response: ServerResponse, pathname: string): Promise<boolean>;
}

/**
 * One embedded node among several on shared tables: its heartbeat, the
 * routing gateway through which it posts to anyone's connection, and the
 * hand-off of broadcast and channel requests to the other nodes.
 */
const createClusterNode = (options: ClusterOptions, parts: ClusterParts): ClusterNode => {
  const { owner, store, registry, sockets, clock, fanoutOptions, logger: log } = parts;
  const heartbeatMs = options.heartbeatMs ?? 5000;
  const leaseMs = options.leaseMs ?? 15_000;
  if (leaseMs <= heartbeatMs) {
    throw new ConfigurationError(
      'nodeLeaseMs',
      `must be longer than the heartbeat (${heartbeatMs} ms), got ${leaseMs}; three beats or more is safe`,
    );
  }
  const region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
  const credentials = {
    accessKeyId: options.accessKey.accessKeyId,
    secretAccessKey: options.accessKey.secretAccessKey,
    ...(options.accessKey.sessionToken === undefined
      ? {}
      : { sessionToken: options.accessKey.sessionToken }),
  };
  const { ApiGatewayConnectionGateway, SigV4PostSigner } = options.apiGateway;
  const peers = new Map<string, ApiGateway.ApiGatewayConnectionGateway>();
  const peerGateway = (endpoint: string) => {
    let gateway = peers.get(endpoint);
    if (gateway === undefined) {
      gateway = new ApiGatewayConnectionGateway({ endpoint, region, credentials });
      peers.set(endpoint, gateway);
    }
    return gateway;
  };
  const liveness = new NodeLiveness(options.nodeStore, registry, clock, {
    self: owner,
    leaseMs,
    localGateway: sockets,
    peerGateway,
    onReaped: (node, removed) =>
      log.warn("a node's lease lapsed: its connections were removed", {
        node: node.endpoint,
        incarnation: node.incarnation,
        removed,
      }),
    onEvicted: (replacedBy) => {
      log.error(
        'this node was declared dead by the others: closing its sockets so clients reconnect',
        {
          replacedBy: replacedBy?.incarnation,
        },
      );
      for (const connection of sockets.connections()) {
        connection.socket.close(1012, 'Node rejoining the cluster');
      }
    },
  });
  const routing = new RoutingConnectionGateway(store, liveness, {
    fallback: sockets,
    local: { gateway: sockets, holds: (id) => sockets.find(id) !== undefined },
  });
  // The local part of a handed-off request is framed with the stamp it came
  // with (see ClusterFanout): it keeps no history of its own.
  const { history: _keptByTheTakingNode, ...localFanoutOptions } = fanoutOptions;
  const localFanout = new NotificationFanout(
    new ConnectionRegistry(
      new LocalConnectionView(store, sockets, { shared: true }),
      clock,
      { ...parts.registryOptions, owner },
      parts.listener,
    ),
    sockets,
    clock,
    localFanoutOptions,
  );
  const handoff = new PeerHandoff({
    liveness,
    localFanout,
    sockets,
    signer: new SigV4PostSigner({ region, credentials }),
    clock,
  });
  let timer: NodeJS.Timeout | undefined;
  let beating: Promise<unknown> | undefined;
  // Removals run one after another, apart from the beats: a survivor busy
  // removing a dead node's connections keeps renewing its own lease.
  let removing: Promise<unknown> = Promise.resolve();
  const remove = (retired: readonly NodeRecord[]) => {
    for (const node of retired) {
      removing = removing.then(() =>
        liveness.removeConnectionsOf(node).catch((error) =>
          log.error(
            "could not remove a dead node's connections; they expire with the idle timeout",
            {
              node: node.endpoint,
              error,
            },
          ),
        ),
      );
    }
  };
  const beat = () => {
    beating ??= liveness
      .beat()
      .then(remove)
      .catch((error) => log.error('heartbeat failed; retrying on the next beat', { error }))
      .finally(() => {
        beating = undefined;
      });
  };

  return {
    fanout: new ClusterFanout(registry, routing, clock, fanoutOptions, handoff),
    start: async () => {
      remove(await liveness.beat());
      timer = setInterval(beat, heartbeatMs);
      timer.unref();
    },
    stop: async () => {
      if (timer !== undefined) clearInterval(timer);
      await beating;
      await liveness.leave().catch((error) => log.warn('could not retire this node', { error }));
      for (const gateway of peers.values()) gateway.close();
    },
    serve: async (request, response, pathname) => {
      if (pathname !== HANDOFF_ROUTE) return false;
      await serveHandoff(request, response, {
        localFanout,
        sockets,
        credentials: parts.credentials,
        clock,
      });
      return true;
    },
  };
};

export type { ClusterNode, ClusterOptions, ClusterParts };
export { advertisedEndpoint, clusterOwner, createClusterNode };
