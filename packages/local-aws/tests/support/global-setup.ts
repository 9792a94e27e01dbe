import { provideEmulators } from '@herald/adapters-aws/testing';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    fauxqsEndpoint: string;
  }
}

/** DynamoDB Local and fauxqs for the run; the teardown stops them. */
const setup = provideEmulators;

export { setup };
