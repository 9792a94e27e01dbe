import { emulatorEnvironment as awsEmulatorEnvironment } from '@herald/adapters-aws/testing';
import { inject } from 'vitest';

/** The SDK variables pointing at the emulators this run's global setup started. */
const emulatorEnvironment = () =>
  awsEmulatorEnvironment({
    dynamoEndpoint: inject('dynamoEndpoint'),
    fauxqsEndpoint: inject('fauxqsEndpoint'),
  });

export { emulatorEnvironment };
