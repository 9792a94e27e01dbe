import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the stub answers to one post: a status, or no answer at all (the caller times out). */
type StubAnswer = 200 | 400 | 410 | 429 | 500 | 'timeout';

/** Chooses the answer to the `attempt`-th post (from 1) to a connection. */
type StubBehaviour = (connectionId: string, attempt: number) => StubAnswer;

const ERROR_TYPES: Record<number, string> = {
  400: 'BadRequestException',
  410: 'GoneException',
  429: 'LimitExceededException',
  500: 'InternalServerErrorException',
};

/**
 * API Gateway's management API on 127.0.0.1, as far as posting goes:
 * `POST /{stage}/@connections/{id}` answered 200, or with the error shapes
 * API Gateway uses (410 GoneException, 429 LimitExceededException, 500, 400),
 * or not at all, as `behaviour` decides per connection and attempt. It
 * counts every post and every 200 per connection.
 */
const startManagementApiStub = async (behaviour: StubBehaviour) => {
  const attempts = new Map<string, number>();
  const delivered = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const match = /\/@connections\/([^/?]+)$/.exec(request.url ?? '');
    request.resume();
    request.on('end', () => {
      if (request.method !== 'POST' || match === null) {
        response.writeHead(404).end();
        return;
      }
      const connectionId = decodeURIComponent(match[1] as string);
      const attempt = (attempts.get(connectionId) ?? 0) + 1;
      attempts.set(connectionId, attempt);
      const answer = behaviour(connectionId, attempt);
      if (answer === 'timeout') {
        hanging.add(response);
        response.on('close', () => hanging.delete(response));
        return;
      }
      if (answer === 200) {
        delivered.set(connectionId, (delivered.get(connectionId) ?? 0) + 1);
        response.writeHead(200, { 'content-length': '0' }).end();
        return;
      }
      const body = JSON.stringify({ message: ERROR_TYPES[answer] });
      response
        .writeHead(answer, {
          'content-type': 'application/json',
          'x-amzn-errortype': ERROR_TYPES[answer] as string,
          'content-length': String(Buffer.byteLength(body)),
        })
        .end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/test`,
    attempts,
    delivered,
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

export type { StubAnswer, StubBehaviour };
export { startManagementApiStub };
