import { ApiGatewayConnectionGateway } from '@herald/adapters-aws/apigateway';
import { describeConnectionGatewayContract } from '@herald/domain/testing';
import { connect, startServer, token } from './helpers.js';

// The AWS gateway adapter, pointed at this server's API Gateway-compatible
// management API (behind its stage prefix), passes the same contract as the
// in-memory and socket gateways.
const contractAgainst = (managementApi: 'loopback' | 'any') => async () => {
  const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
  const s = await startServer({ managementApi, managementAccessKeys: [credentials] });
  const gateway = new ApiGatewayConnectionGateway({
    endpoint: `${s.url}/local`,
    region: 'us-east-1',
    credentials,
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
};

describeConnectionGatewayContract(
  'ApiGatewayConnectionGateway (against the embedded server)',
  contractAgainst('loopback'),
);

// The same, with the management API answering any caller: every call the
// adapter makes (its own SigV4 signing of posts, the SDK's for the rest) is
// verified as API Gateway verifies it.
describeConnectionGatewayContract(
  'ApiGatewayConnectionGateway (against the embedded server, SigV4 required)',
  contractAgainst('any'),
);
