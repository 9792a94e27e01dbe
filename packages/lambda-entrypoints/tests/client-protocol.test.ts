import type { ClientMessageEvent } from '@herald/domain';
import { describeClientProtocolScenarios } from '@herald/domain/testing';
import { makeClientActionHandler, makeConnectHandler } from '../src/index.js';
import { testServices, wsEvent } from './support.js';

// The Lambda handlers as API Gateway drives them: $connect with the
// authorizer's context, then one invocation per frame, stamped with the time
// API Gateway received it; replies come back through the management API.
describeClientProtocolScenarios('Lambda handlers (memory adapters)', () => {
  const { services, gateway, publisher } = testServices();
  const connect = makeConnectHandler({ registry: services.registry(), logger: services.logger });
  const act = makeClientActionHandler({
    registry: services.registry(),
    publisher: services.publisher(),
    gatewayFor: services.gatewayFor(),
    logger: services.logger,
  });
  let next = 0;
  return {
    closesOversizedFrames: false,
    connect: async (userId, channels) => {
      const connectionId = gateway.open(`conn-${next++}`);
      await connect(
        wsEvent('$connect', connectionId, undefined, {
          authorizer: { userId, channels: JSON.stringify(channels), protocol: '' },
        }),
      );
      return {
        connectionId,
        send: async (body) => {
          const seen = gateway.received(connectionId).length;
          const event = wsEvent('$default', connectionId, body);
          const arrived = {
            ...event,
            requestContext: { ...event.requestContext, requestTimeEpoch: Date.now() },
          };
          await act(arrived);
          return {
            replies: gateway
              .received(connectionId)
              .slice(seen)
              .map((reply) => JSON.parse(reply)),
          };
        },
      };
    },
    forwarded: () =>
      publisher.events.filter((e): e is ClientMessageEvent => e.kind === 'client_message'),
    failNextForward: () => publisher.failNext(1),
  };
});
