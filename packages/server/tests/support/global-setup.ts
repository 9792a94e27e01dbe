import { startEmulators } from '@herald/adapters-aws/testing';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    fauxqsEndpoint: string;
  }
}

/** DynamoDB Local and fauxqs for the tests that run the server on AWS adapters. */
const setup = async (project: TestProject) => {
  const emulators = await startEmulators();
  project.provide('dynamoEndpoint', emulators.dynamoEndpoint);
  project.provide('fauxqsEndpoint', emulators.fauxqsEndpoint);
  return emulators.stop;
};

export { setup };
