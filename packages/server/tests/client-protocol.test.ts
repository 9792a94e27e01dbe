import { InMemoryEventPublisher } from '@herald/adapters-memory';
import type { ClientMessageEvent } from '@herald/domain';
import { describeClientProtocolScenarios, waitFor } from '@herald/domain/testing';
import { connect, startServer, token } from './helpers.js';

// The embedded server as a client sees it: real WebSocket connections. A
// frame's replies are what arrives before the reply to a marker frame sent
// right after it (frames are handled in order), or the close, if the
// transport closed the connection.
describeClientProtocolScenarios('embedded server (ws clients)', async () => {
  const output = new InMemoryEventPublisher();
  const { server, wsUrl } = await startServer({ outputs: [output] });
  let markers = 0;
  return {
    closesOversizedFrames: true,
    connect: async (userId, channels) => {
      const client = await connect(
        `${wsUrl}/?authorization=${await token({ sub: userId, channels: [...channels] })}`,
      );
      let closedWith: number | undefined;
      void client.closed.then(({ code }) => {
        closedWith = code;
      });
      client.send({ action: 'ping' });
      const { connectionId } = (await client.json()) as { connectionId: string };
      return {
        connectionId,
        send: async (body) => {
          const seen = client.received.length;
          const marker = `herald.marker.${markers++}`;
          client.send(body);
          if (client.socket.readyState === client.socket.OPEN)
            client.send({ action: 'unsubscribe', channel: marker });
          const replies = await waitFor(
            () => {
              const raw = client.received.slice(seen);
              const end = raw.findIndex((m) => m.includes(`"${marker}"`));
              if (end >= 0) return raw.slice(0, end);
              return closedWith === undefined ? undefined : raw;
            },
            { what: `the replies before ${marker}` },
          );
          const parsed = replies.map((reply) => JSON.parse(reply) as unknown);
          return closedWith === undefined ? { replies: parsed } : { replies: parsed, closedWith };
        },
      };
    },
    forwarded: () =>
      output.events.filter((e): e is ClientMessageEvent => e.kind === 'client_message'),
    failNextForward: () => output.failNext(1),
    dispose: () => server.stop(),
  };
});
