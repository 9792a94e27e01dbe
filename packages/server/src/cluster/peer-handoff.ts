import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { SigV4PostSigner } from '@herald/adapters-aws/apigateway';
import {
  type Clock,
  type DeliveryFailure,
  type DeliveryReport,
  decodeNotificationStamp,
  emptyReport,
  MAX_REQUEST_BYTES,
  mergeReports,
  type NodeLiveness,
  type NodeRecord,
  type NotificationFanout,
  type NotificationRequest,
  type NotificationStamp,
  PayloadTooLargeError,
  parseNotificationRequest,
  wireError,
} from '@herald/domain';
import { readBody, sendJson } from '../http-io.js';
import { awsError, type ManagementCredentials, refusalOf } from '../management-api.js';
import type { WsConnectionGateway } from '../ws-connection-gateway.js';

/** The internal route a node takes its part of a broadcast or channel request on. */
const HANDOFF_ROUTE = '/@herald/deliver';

/** Attempts at handing a request to a peer before it is reported. */
const HANDOFF_ATTEMPTS = 3;

/** The canonical wire form of a request, which every node parses back to the same request. */
const wireRequest = (request: NotificationRequest) => ({
  users: request.users,
  connections: request.connections,
  channels: request.channels,
  exclude_users: request.excludeUsers,
  exclude_connections: request.excludeConnections,
  data: request.data,
  ...(request.id === undefined ? {} : { id: request.id }),
});

/** What a peer answers: its report, with what it left for a continuation (connection ids). */
interface HandoffAnswer extends Omit<DeliveryReport, 'carry'> {
  readonly carry: {
    readonly retry: readonly DeliveryFailure[];
    readonly unstarted: readonly string[];
  };
}

/**
 * The part of a request that this node delivers: its sockets only. Connection
 * ids it does not hold are left to their owners, so it never answers them gone.
 */
const localPart = (
  request: NotificationRequest,
  sockets: WsConnectionGateway,
): NotificationRequest =>
  request.connections.length === 0
    ? request
    : {
        ...request,
        connections: request.connections.filter((id) => sockets.find(id) !== undefined),
      };

interface PeerHandoffOptions {
  readonly liveness: NodeLiveness;
  /** Delivers to this node's own sockets (over LocalConnectionView). */
  readonly localFanout: NotificationFanout;
  readonly sockets: WsConnectionGateway;
  /** Signs hand-offs with a key pair every node accepts (SigV4, service execute-api). */
  readonly signer: SigV4PostSigner;
  readonly clock: Clock;
  /** A peer that does not answer a hand-off in this long is retried, then reported. @default 15000 */
  readonly timeoutMs?: number;
}

/**
 * Delivers a broadcast or channel request across the cluster: this node
 * posts to its own sockets, and hands the request once to each live peer,
 * which posts to its own. So a request costs one call per node, not one per
 * connection, and every connection is posted by the node that holds it.
 *
 * A peer that cannot be reached is retried; when it is then known dead its
 * connections are being removed, so nothing is owed to them; otherwise the
 * report counts one failure, reason `node_unreachable`, for that node.
 */
class PeerHandoff {
  private readonly timeoutMs: number;

  constructor(private readonly options: PeerHandoffOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** `stamp`: where the request was kept, which every node frames its envelopes with. */
  async deliver(request: NotificationRequest, stamp?: NotificationStamp): Promise<DeliveryReport> {
    const { localFanout, liveness, sockets } = this.options;
    const body = new TextEncoder().encode(
      JSON.stringify({
        request: wireRequest(request),
        ...(stamp === undefined ? {} : { stamp }),
      }),
    );
    // Listed now, not at the last beat, so that a node that just joined gets its part.
    const peers = await liveness.livePeers();
    const reports = await Promise.all([
      localFanout.deliver(localPart(request, sockets), stamp === undefined ? {} : { stamp }),
      ...peers.map((peer) => this.handTo(peer, body)),
    ]);
    const merged = mergeReports(reports);
    // A node's broadcast listing is its own memory: no cursor of it means anything elsewhere.
    return { ...merged, carry: { ...merged.carry, shards: [] } };
  }

  private exchange(url: URL, headers: Record<string, string>, body: Uint8Array) {
    return post(url, headers, body, this.timeoutMs);
  }

  private async handTo(peer: NodeRecord, body: Uint8Array): Promise<DeliveryReport> {
    const url = new URL(HANDOFF_ROUTE, peer.endpoint);
    let reason = 'node_unreachable';
    for (let attempt = 0; attempt < HANDOFF_ATTEMPTS; attempt++) {
      if (attempt > 0) await this.options.clock.sleep(100 * 2 ** attempt);
      try {
        const headers = await this.options.signer.sign({
          host: url.host,
          path: url.pathname,
          payload: body,
        });
        const answer = await this.exchange(url, headers, body);
        if (answer.status === 200) return reportOf(JSON.parse(answer.text) as HandoffAnswer);
        reason = `node_answered_${answer.status}`;
        if (answer.status < 500) break;
      } catch {
        reason = 'node_unreachable';
      }
      const owner = { endpoint: peer.endpoint, incarnation: peer.incarnation };
      if ((await this.options.liveness.gatewayFor(owner)) === 'dead') return emptyReport();
    }
    return {
      ...emptyReport(),
      failed: 1,
      failures: [{ connectionId: `node ${peer.endpoint}`, reason }],
    };
  }
}

/** One POST with exactly the signed headers; resolves with the status and the body's text. */
const post = (
  url: URL,
  headers: Record<string, string>,
  body: Uint8Array,
  timeoutMs: number,
): Promise<{ status: number; text: string }> =>
  new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        timeout: timeoutMs,
      },
      (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('timeout', () =>
      request.destroy(new Error(`no answer from ${url.host} in ${timeoutMs} ms`)),
    );
    request.on('error', reject);
    request.end(body);
  });

const reportOf = (answer: HandoffAnswer): DeliveryReport => ({
  ...answer,
  carry: { retry: answer.carry.retry, unstarted: answer.carry.unstarted, shards: [] },
});

interface HandoffRouteOptions {
  readonly localFanout: NotificationFanout;
  readonly sockets: WsConnectionGateway;
  /** Who may hand requests to this node: the management API's key pairs, or the backend key. */
  readonly credentials: ManagementCredentials;
  readonly clock: Clock;
}

/**
 * `POST /@herald/deliver`: a peer hands this node a request, and it posts to
 * the sockets it holds. The caller must sign (SigV4) or present the backend
 * key, from loopback too: a hand-off is never open.
 */
const serveHandoff = async (
  request: IncomingMessage,
  response: ServerResponse,
  options: HandoffRouteOptions,
): Promise<void> => {
  if (request.method !== 'POST') {
    request.resume();
    return sendJson(response, 405, { message: 'Method Not Allowed' }, { allow: 'POST' });
  }
  let body: Promise<Buffer> | undefined;
  const readOnce = () => {
    body ??= readBody(request, MAX_REQUEST_BYTES);
    return body;
  };
  try {
    const refusal = await refusalOf(request, readOnce, options);
    if (refusal !== undefined) return awsError(response, 403, refusal.errorType, refusal.message);
    let handed: { request?: unknown; stamp?: unknown };
    try {
      handed = JSON.parse((await readOnce()).toString('utf8')) as typeof handed;
    } catch {
      return sendJson(response, 400, { message: 'the body is not JSON' });
    }
    const parsed = parseNotificationRequest(handed?.request);
    if (!parsed.ok) return sendJson(response, 400, { error: wireError(parsed.error) });
    const stamp = handed?.stamp === undefined ? undefined : decodeNotificationStamp(handed.stamp);
    if (stamp !== undefined && !stamp.ok) {
      return sendJson(response, 400, { error: wireError(stamp.error) });
    }
    const { carry, ...report } = await options.localFanout.deliver(
      localPart(parsed.value, options.sockets),
      stamp === undefined ? {} : { stamp: stamp.value },
    );
    const answer: HandoffAnswer = {
      ...report,
      carry: { retry: carry.retry, unstarted: carry.unstarted },
    };
    return sendJson(response, 200, answer);
  } catch (error) {
    if (!(error instanceof PayloadTooLargeError)) throw error;
    return awsError(response, 413, 'PayloadTooLargeException', error.message);
  }
};

export type { HandoffRouteOptions, PeerHandoffOptions };
export { HANDOFF_ROUTE, PeerHandoff, serveHandoff };
