import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import {
  ConfigurationError,
  type ConnectionGateway,
  type GatewayConnection,
  type PostOutcome,
} from '@herald/domain';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import type { Pool } from './connection-pool.js';
import { regionOf } from './management-endpoint.js';
import { SigV4PostSigner } from './sigv4-post-signer.js';

interface ApiGatewayConnectionGatewayOptions {
  /**
   * The management endpoint: `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}`,
   * or `https://{custom-domain}/{base-path}` (see managementEndpoint()).
   */
  readonly endpoint: string;
  /** Signing region. @default the region in an execute-api endpoint, else AWS_REGION */
  readonly region?: string;
  /** @default the standard provider chain (environment, SSO, profile, web identity, container, instance) */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /** Sockets kept open to the endpoint; at least the fanout's concurrency. @default 128 */
  readonly maxSockets?: number;
  /** Per-request timeout, in ms. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * ConnectionGateway on API Gateway's management API.
 *
 * The post path is the fanout's hot loop, so it skips the SDK client's
 * middleware stack: it signs with SigV4PostSigner (a signing key derived
 * once per credentials and day, one HMAC per post; held to the SDK's signer
 * by a differential test) and sends over undici's keep-alive connection
 * pool, which takes about a quarter less CPU per post than `node:http` with a
 * keep-alive agent (`pnpm --filter @herald/adapters-aws bench`). undici is
 * imported at the first post, so a Lambda that never posts does not load it
 * at init. Credentials still come from the standard provider chain, session
 * token included, and are refreshed before they expire; retries of
 * throttling go through the domain's policy.
 * GetConnection and DeleteConnection, which are rare, use the SDK client.
 */
class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly endpoint: URL;
  private readonly basePath: string;
  private readonly signer: SigV4PostSigner;
  private readonly maxSockets: number;
  private readonly timeoutMs: number;
  private readonly client: ApiGatewayManagementApiClient;
  private pool: Promise<Pool> | undefined;
  private closed = false;

  constructor(options: ApiGatewayConnectionGatewayOptions) {
    let endpoint: URL;
    try {
      endpoint = new URL(options.endpoint);
    } catch {
      throw new ConfigurationError('endpoint', `"${options.endpoint}" is not a URL`);
    }
    const region = options.region ?? regionOf(endpoint) ?? process.env.AWS_REGION;
    if (region === undefined || region.length === 0) {
      throw new ConfigurationError(
        'region',
        'give it, or set AWS_REGION, when the endpoint is a custom domain',
      );
    }
    const credentials = options.credentials ?? defaultProvider();
    this.endpoint = endpoint;
    this.basePath = endpoint.pathname.replace(/\/+$/, '');
    this.maxSockets = options.maxSockets ?? 128;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.signer = new SigV4PostSigner({ region, credentials });
    this.client = new ApiGatewayManagementApiClient({
      endpoint: options.endpoint,
      region,
      credentials,
    });
  }

  async post(connectionId: string, payload: Uint8Array): Promise<PostOutcome> {
    const path = `${this.basePath}/@connections/${encodeURIComponent(connectionId)}`;
    const headers = await this.signer.sign({ host: this.endpoint.host, path, payload });
    if (this.closed) return 'unreachable';
    // A pool that cannot be loaded is a broken install, not a busy endpoint: thrown.
    const pool = await this.connections();
    let status: number;
    try {
      status = await this.exchange(pool, path, headers, payload);
    } catch {
      // No answer in time, or the socket failed: the post may succeed later.
      return 'unreachable';
    }
    return this.outcomeOf(status);
  }

  async disconnect(connectionId: string): Promise<'disconnected' | 'gone'> {
    try {
      await this.client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
      return 'disconnected';
    } catch (error) {
      if (error instanceof GoneException) return 'gone';
      throw this.configurationErrorOr(error);
    }
  }

  async get(connectionId: string): Promise<GatewayConnection | undefined> {
    try {
      const info = await this.client.send(new GetConnectionCommand({ ConnectionId: connectionId }));
      const connectedAt = info.ConnectedAt?.getTime() ?? 0;
      return {
        connectionId,
        connectedAt,
        lastActiveAt: info.LastActiveAt?.getTime() ?? connectedAt,
        ...(info.Identity?.SourceIp ? { sourceIp: info.Identity.SourceIp } : {}),
        ...(info.Identity?.UserAgent ? { userAgent: info.Identity.UserAgent } : {}),
      };
    } catch (error) {
      if (error instanceof GoneException) return undefined;
      throw this.configurationErrorOr(error);
    }
  }

  /** Closes the kept-alive sockets; a post after this is `unreachable`. */
  close(): void {
    this.closed = true;
    const pool = this.pool;
    this.pool = undefined;
    void pool?.then((open) => open.destroy()).catch(() => undefined);
    this.client.destroy();
  }

  /** The connection pool to the endpoint, made at the first post. */
  private connections(): Promise<Pool> {
    this.pool ??= import('./connection-pool.js').then(({ openPool }) =>
      openPool(this.endpoint.origin, { connections: this.maxSockets, timeoutMs: this.timeoutMs }),
    );
    return this.pool;
  }

  private async exchange(
    pool: Pool,
    path: string,
    headers: Record<string, string>,
    payload: Uint8Array,
  ): Promise<number> {
    // The whole exchange ends within timeoutMs: a precise timer, where the
    // pool's own timeouts run on a coarse clock that may fire up to a second
    // late, past the deadline the fanout plans its invocation by.
    const signal = AbortSignal.timeout(this.timeoutMs);
    const response = await pool.request({ method: 'POST', path, headers, body: payload, signal });
    // Read the answer to its end (the signal still bounds it), so the connection goes back to the pool.
    await response.body.dump();
    return response.statusCode;
  }

  /**
   * API Gateway's answers, as the domain acts on them. A 5xx is transient, so
   * it is retried like throttling, inside the fanout's budget. A request that
   * gets no answer within `timeoutMs`, or whose socket fails, is `unreachable`,
   * which the fanout retries too.
   */
  private outcomeOf(status: number): PostOutcome {
    if (status >= 200 && status < 300) return 'delivered';
    if (status === 410) return 'gone';
    if (status === 429 || status >= 500) return 'throttled';
    if (status === 413) return 'payload_too_large';
    if (status === 403) throw this.forbidden();
    throw new Error(`API Gateway answered ${status} to a post`);
  }

  private configurationErrorOr(error: unknown): unknown {
    return error instanceof ForbiddenException ? this.forbidden(error) : error;
  }

  private forbidden(cause?: unknown): ConfigurationError {
    return new ConfigurationError(
      'endpoint',
      `API Gateway refused with 403 Forbidden: check that ${this.endpoint.origin}${this.basePath} is this API's ` +
        'management endpoint (https://{api-id}.execute-api.{region}.amazonaws.com/{stage}, or the custom domain ' +
        'with its base path) and that the role is allowed execute-api:ManageConnections on it',
      cause === undefined ? undefined : { cause },
    );
  }
}

export type { ApiGatewayConnectionGatewayOptions };
export { ApiGatewayConnectionGateway };
