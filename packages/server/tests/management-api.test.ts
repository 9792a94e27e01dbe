import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { describeConnectionGatewayContract, waitFor } from '@herald/domain/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Client, connect, startServer, token } from './helpers.js';

type Started = Awaited<ReturnType<typeof startServer>>;
let started: Started | undefined;
afterEach(async () => {
  await started?.server.stop();
  started = undefined;
});

const sdkClient = (endpoint: string) =>
  new ApiGatewayManagementApiClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
  });

const connectedClient = async (s: Started, userId = 'm-user'): Promise<[Client, string]> => {
  const client = await connect(`${s.wsUrl}/?authorization=${await token({ sub: userId })}`);
  client.send({ action: 'ping' });
  const { connectionId } = (await client.json()) as { connectionId: string };
  return [client, connectionId];
};

describe('Management API, through ApiGatewayManagementApiClient', () => {
  it('posts to, describes and deletes a connection behind a stage prefix', async () => {
    started = await startServer();
    const [client, connectionId] = await connectedClient(started);
    const api = sdkClient(`${started.url}/local`);

    await api.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: '{"via":"sdk"}' }),
    );
    const info = await api.send(new GetConnectionCommand({ ConnectionId: connectionId }));
    await api.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));

    expect(await client.next(1)).toEqual(['{"via":"sdk"}']);
    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(
      info.ConnectedAt?.getTime() ?? Number.NaN,
    );
    expect(info.Identity?.SourceIp).toMatch(/127\.0\.0\.1/);
    expect(info.Identity?.UserAgent).toBeDefined();
    await client.closed;
  });

  it('works without a stage prefix too', async () => {
    started = await startServer();
    const [client, connectionId] = await connectedClient(started);

    await sdkClient(started.url).send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'plain' }),
    );

    expect(await client.next(1)).toEqual(['plain']);
  });

  it('surfaces an unknown connection as GoneException (410)', async () => {
    started = await startServer();
    const api = sdkClient(`${started.url}/local`);

    await expect(
      api.send(new PostToConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=', Data: 'x' })),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      api.send(new GetConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' })),
    ).rejects.toBeInstanceOf(GoneException);
    await expect(
      api.send(new DeleteConnectionCommand({ ConnectionId: 'AAAAAAAAAAAAAAA=' })),
    ).rejects.toBeInstanceOf(GoneException);
  });

  it('refuses a body over 128 KB with PayloadTooLargeException (413)', async () => {
    started = await startServer();
    const [client, connectionId] = await connectedClient(started);

    const oversized = new PostToConnectionCommand({
      ConnectionId: connectionId,
      Data: 'x'.repeat(128 * 1024 + 1),
    });

    await expect(sdkClient(started.url).send(oversized)).rejects.toBeInstanceOf(
      PayloadTooLargeException,
    );
    await client.roundTrip();
    expect(client.received.some((m) => m.startsWith('xxx'))).toBe(false);
  });

  it('answers ForbiddenException when the management API is off', async () => {
    started = await startServer({ managementApi: 'off' });
    const [, connectionId] = await connectedClient(started);

    await expect(
      sdkClient(started.url).send(
        new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'x' }),
      ),
    ).rejects.toBeInstanceOf(ForbiddenException);
  });

  it('records the disconnect of a connection it deletes', async () => {
    started = await startServer();
    const [client, connectionId] = await connectedClient(started, 'deleted-user');

    await sdkClient(started.url).send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await client.closed;

    const presence = await waitFor(async () => {
      const [user] = (await started?.server.presence(['deleted-user'])) ?? [];
      return user?.online === false ? user : undefined;
    });
    expect(presence.connections).toBe(0);
  });
});

describeConnectionGatewayContract(
  'WsConnectionGateway (the embedded server, real sockets)',
  async () => {
    const s = await startServer();
    return {
      gateway: s.server.gateway,
      open: async () => {
        const [client, connectionId] = await connectedClient(s);
        return { connectionId, messages: (count: number) => client.next(count) };
      },
      dispose: () => s.server.stop(),
    };
  },
);
