import type { Agent as HttpAgent, request as httpRequest, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
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
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { nodeHttp, nodeHttps } from '../node-http.js';
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
 * by a differential test) and sends over a keep-alive agent. Credentials
 * still come from the standard provider chain, session token included, and
 * are refreshed before they expire; retries of throttling go through the
 * domain's policy.
 * GetConnection and DeleteConnection, which are rare, use the SDK client.
 */
class ApiGatewayConnectionGateway implements ConnectionGateway {
  private readonly endpoint: URL;
  private readonly basePath: string;
  private readonly signer: SigV4PostSigner;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly send: typeof httpRequest;
  private readonly timeoutMs: number;
  private readonly client: ApiGatewayManagementApiClient;

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
    const secure = endpoint.protocol === 'https:';
    const maxSockets = options.maxSockets ?? 128;
    this.endpoint = endpoint;
    this.basePath = endpoint.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.signer = new SigV4PostSigner({ region, credentials });
    const http = secure ? nodeHttps() : nodeHttp();
    this.agent = new http.Agent({ keepAlive: true, maxSockets });
    this.send = http.request as typeof httpRequest;
    this.client = new ApiGatewayManagementApiClient({
      endpoint: options.endpoint,
      region,
      credentials,
      requestHandler: new NodeHttpHandler(
        secure ? { httpsAgent: this.agent } : { httpAgent: this.agent },
      ),
    });
  }

  async post(connectionId: string, payload: Uint8Array): Promise<PostOutcome> {
    const path = `${this.basePath}/@connections/${encodeURIComponent(connectionId)}`;
    const headers = await this.signer.sign({ host: this.endpoint.host, path, payload });
    let status: number;
    try {
      status = await this.exchange(path, headers, payload);
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

  /** Closes the kept-alive sockets. */
  close(): void {
    this.agent.destroy();
    this.client.destroy();
  }

  private exchange(
    path: string,
    headers: Record<string, string>,
    payload: Uint8Array,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      const request = this.send(
        {
          method: 'POST',
          protocol: this.endpoint.protocol,
          hostname: this.endpoint.hostname,
          port: this.endpoint.port,
          path,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (response: IncomingMessage) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('timeout', () =>
        request.destroy(new Error(`no answer from ${this.endpoint.host} in ${this.timeoutMs} ms`)),
      );
      request.on('error', reject);
      request.end(payload);
    });
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
