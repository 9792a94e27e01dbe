import type { IncomingMessage } from 'node:http';
import {
  type ClientProtocol,
  type ConnectRequest,
  type PresentedToken,
  presentedToken,
  requestedProtocol,
} from '@herald/domain';

const connectRequestOf = (request: IncomingMessage, url: URL): ConnectRequest => {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return {
    query: {
      authorization: url.searchParams.get('authorization') ?? undefined,
      token: url.searchParams.get('token') ?? undefined,
      protocol: url.searchParams.get('protocol') ?? undefined,
    },
    headers: {
      authorization: header('authorization'),
      'sec-websocket-protocol': header('sec-websocket-protocol'),
    },
  };
};

/** The token a WebSocket upgrade request presents, by the domain's carrier rules. */
const presentedTokenOf = (request: IncomingMessage, url: URL): PresentedToken =>
  presentedToken(connectRequestOf(request, url));

/** The protocol the upgrade request asks for (`herald.v1`), by the domain's rule. */
const requestedProtocolOf = (request: IncomingMessage, url: URL): ClientProtocol | undefined =>
  requestedProtocol(connectRequestOf(request, url));

export { presentedTokenOf, requestedProtocolOf };
