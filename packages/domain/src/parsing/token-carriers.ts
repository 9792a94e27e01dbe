import type { ClientProtocol } from '../model/connection.js';
import { ENVELOPE_PROTOCOL } from '../model/envelope.js';

/** Where a client's token was found. */
type TokenCarrier = 'query:authorization' | 'query:token' | 'header' | 'subprotocol';

interface PresentedToken {
  readonly token: string | undefined;
  readonly carrier: TokenCarrier | undefined;
  /**
   * The one subprotocol to echo, when the client offered any. Browsers fail a
   * connection whose offer gets no answer, so one is always chosen: `herald.v1`
   * when offered, else the first offered protocol that is not the token, else
   * the token offer itself.
   */
  readonly protocol: string | undefined;
}

/** A connect request as both API Gateway and the embedded server see it; header names in lower case. */
interface ConnectRequest {
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

const subprotocolOffers = (headers: ConnectRequest['headers']): string[] =>
  (headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);

/**
 * The protocol a client asks for: `herald.v1` (envelopes, resume) when it
 * offers that subprotocol or passes `protocol=herald.v1` in the query;
 * otherwise none, and it receives the bare `data`, as Sumu's clients do.
 */
const requestedProtocol = ({ query, headers }: ConnectRequest): ClientProtocol | undefined =>
  query.protocol === ENVELOPE_PROTOCOL || subprotocolOffers(headers).includes(ENVELOPE_PROTOCOL)
    ? ENVELOPE_PROTOCOL
    : undefined;

/**
 * Finds the client's token, in the protocol's order (docs/protocol.md, "Connecting"): the `authorization` query
 * parameter, the `token` query parameter, an `Authorization: Bearer` header,
 * or a `Sec-WebSocket-Protocol` offer shaped like a JWT (so browsers can keep
 * it out of URLs: `new WebSocket(url, ['herald', token])`).
 */
const presentedToken = ({ query, headers }: ConnectRequest): PresentedToken => {
  const offers = subprotocolOffers(headers);
  const tokenOffer = offers.find((p) => JWT_SHAPE.test(p));
  const protocol =
    offers.length === 0
      ? undefined
      : offers.includes(ENVELOPE_PROTOCOL)
        ? ENVELOPE_PROTOCOL
        : (offers.find((p) => p !== tokenOffer) ?? tokenOffer);
  const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
  const found: [string | undefined, TokenCarrier][] = [
    [query.authorization, 'query:authorization'],
    [query.token, 'query:token'],
    [bearer, 'header'],
    [tokenOffer, 'subprotocol'],
  ];
  const [token, carrier] = found.find(([value]) => value !== undefined && value.length > 0) ?? [
    undefined,
    undefined,
  ];
  return { token, carrier, protocol };
};

/**
 * The identity source of the serverless stack's authorizer by default: API
 * Gateway refuses (401) a `$connect` without it before calling the
 * authorizer. The CDK construct deploys it and the local API Gateway enforces
 * it, so what connects locally connects deployed.
 */
const DEFAULT_IDENTITY_SOURCE: readonly string[] = ['route.request.querystring.authorization'];

const IDENTITY_SOURCE = /^route\.request\.(header|querystring)\.(.+)$/;

/**
 * The first of API Gateway identity sources (`route.request.header.NAME`,
 * `route.request.querystring.NAME`) that the request lacks or sends empty,
 * or undefined when it has them all. Header names match in any case. Throws
 * on a source of another kind, which this cannot check.
 */
const missingIdentitySource = (
  sources: readonly string[],
  { query, headers }: ConnectRequest,
): string | undefined =>
  sources.find((source) => {
    const [, kind, name = ''] = IDENTITY_SOURCE.exec(source) ?? [];
    if (kind === undefined)
      throw new Error(
        `identity source ${source}: only route.request.header.* and route.request.querystring.* are supported`,
      );
    const value = kind === 'header' ? headers[name.toLowerCase()] : query[name];
    return value === undefined || value.length === 0;
  });

export type { ConnectRequest, PresentedToken, TokenCarrier };
export { DEFAULT_IDENTITY_SOURCE, missingIdentitySource, presentedToken, requestedProtocol };
