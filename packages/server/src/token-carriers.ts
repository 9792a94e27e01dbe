import type { IncomingMessage } from 'node:http';
import { type PresentedToken, presentedToken } from '@herald/domain';

/** The token a WebSocket upgrade request presents, by the domain's carrier rules. */
const presentedTokenOf = (request: IncomingMessage, url: URL): PresentedToken => {
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  return presentedToken({
    query: {
      authorization: url.searchParams.get('authorization') ?? undefined,
      token: url.searchParams.get('token') ?? undefined,
    },
    headers: {
      authorization: header('authorization'),
      'sec-websocket-protocol': header('sec-websocket-protocol'),
    },
  });
};

export { presentedTokenOf };
