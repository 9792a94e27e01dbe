import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { describeConnectionGatewayContract } from '@herald/domain/testing';
import { connect, startServer, token } from './helpers.js';

// The AWS gateway adapter, pointed at this server's API Gateway-compatible
// management API (behind its stage prefix), passes the same contract as the
// in-memory and socket gateways.
describeConnectionGatewayContract(
  'ApiGatewayConnectionGateway (against the embedded server)',
  async () => {
    const s = await startServer();
    const gateway = new ApiGatewayConnectionGateway({
      endpoint: `${s.url}/local`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    });
    return {
      gateway,
      open: async () => {
        const client = await connect(
          `${s.wsUrl}/?authorization=${await token({ sub: 'contract-user' })}`,
        );
        client.send({ action: 'ping' });
        const { connectionId } = (await client.json()) as { connectionId: string };
        return { connectionId, messages: (count: number) => client.next(count) };
      },
      dispose: async () => {
        gateway.close();
        await s.server.stop();
      },
    };
  },
);
