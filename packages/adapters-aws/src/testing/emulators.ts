// The emulators for a vitest run: started by a global setup, their endpoints
// provided to the tests.
import { startEmulators } from '../emulators/index.js';

/** What a vitest global setup receives: somewhere to provide values to the tests. */
interface ProvidingProject {
  provide(key: 'dynamoEndpoint' | 'fauxqsEndpoint', value: string): void;
}

/**
 * A vitest global setup: starts the emulators for the run, provides their
 * endpoints as `dynamoEndpoint` and `fauxqsEndpoint` (read them with
 * `inject`), and returns the teardown that stops them.
 */
const provideEmulators = async (project: ProvidingProject): Promise<() => Promise<void>> => {
  const emulators = await startEmulators();
  project.provide('dynamoEndpoint', emulators.dynamoEndpoint);
  project.provide('fauxqsEndpoint', emulators.fauxqsEndpoint);
  return emulators.stop;
};

export type { ProvidingProject };
export { provideEmulators };
