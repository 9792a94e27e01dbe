import type { TestProject } from 'vitest/node';
import { startEmulators } from '../../src/testing/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
    fauxqsEndpoint: string;
  }
}

/** Starts the emulators once for the run; what it returns stops them at the end. */
const setup = async (project: TestProject) => {
  const emulators = await startEmulators();
  project.provide('dynamoEndpoint', emulators.dynamoEndpoint);
  project.provide('fauxqsEndpoint', emulators.fauxqsEndpoint);
  return emulators.stop;
};

export { setup };
