import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { StoreUnavailableError, storeRetryAfterSeconds } from '@herald/domain';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';

/** A store call's attempt deadline, when the settings give none (`HERALD_STORE_TIMEOUT_MS`). */
const DEFAULT_STORE_TIMEOUT_MS = 2000;
/** Retries after a store call's first attempt, when the settings give none (`HERALD_STORE_RETRIES`). */
const DEFAULT_STORE_RETRIES = 2;

/** A store call that ran out of time or retries, as it is logged: never its keys or values. */
interface StoreCallFailure {
  /** The DynamoDB operation: `Query`, `UpdateItem`, `TransactWriteItems`, … */
  readonly operation: string;
  /** The table it addressed (the first one, for a batch or a transaction). */
  readonly table: string | undefined;
  /** Attempts made, the last one included. */
  readonly attempts: number;
  readonly elapsedMs: number;
  /** The last attempt's error: `TimeoutError`, `ThrottlingException`, `ECONNREFUSED`, … */
  readonly reason: string;
}

/** Told about every store call, so a runtime can bound its backlog and log outages. */
interface StoreCallObserver {
  /** A call began; it counts as in flight until `ended`. */
  started?(): void;
  ended?(): void;
  /** A call ran out of time or retries; its caller gets `store_unavailable`. */
  unavailable?(failure: StoreCallFailure): void;
}

interface DynamoDbClientOptions {
  /**
   * One attempt's deadline, in ms. Past it the request is aborted (its socket
   * destroyed, whether or not the peer ever answers) and retried.
   * @default 2000 (`DEFAULT_STORE_TIMEOUT_MS`)
   */
  readonly timeoutMs?: number;
  /**
   * Retries after the first attempt, for timeouts, throttling, network and
   * server errors, with the SDK's jittered exponential backoff.
   * @default 2 (`DEFAULT_STORE_RETRIES`)
   */
  readonly retries?: number;
  readonly observer?: StoreCallObserver;
  /** Overrides of the SDK client's configuration (region, endpoint, credentials). */
  readonly config?: DynamoDBClientConfig;
}

/** The error an attempt fails with at its deadline; the SDK retries it (a `TimeoutError` is transient). */
class AttemptTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * The SDK's Node HTTP handler with a deadline on every attempt that really
 * ends it: the attempt's request is given an abort signal that fires at the
 * deadline, so a peer that accepted the request and never answers (a frozen
 * store) does not hold the call. The handler's own `requestTimeout` was
 * measured not to end such a request; an abort does.
 */
class AttemptDeadlineHandler extends NodeHttpHandler {
  constructor(private readonly timeoutMs: number) {
    super();
  }

  override async handle(
    request: Parameters<NodeHttpHandler['handle']>[0],
    options: HttpHandlerOptions = {},
  ): ReturnType<NodeHttpHandler['handle']> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    const abortSignal =
      options.abortSignal === undefined
        ? deadline
        : AbortSignal.any([options.abortSignal as AbortSignal, deadline]);
    try {
      return await super.handle(request, { ...options, abortSignal });
    } catch (error) {
      if (deadline.aborted && !(options.abortSignal?.aborted ?? false)) {
        throw new AttemptTimeoutError(`no answer within ${this.timeoutMs} ms`, { cause: error });
      }
      throw error;
    }
  }
}

const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkError {
  readonly name?: string;
  readonly code?: string;
  readonly $metadata?: { readonly httpStatusCode?: number; readonly attempts?: number };
}

/** True for the errors that mean the store is not answering, as opposed to answering no (a failed condition, a bad request). */
const isUnavailable = (error: SdkError): boolean =>
  error.name === 'TimeoutError' ||
  THROTTLING.has(error.name ?? '') ||
  NETWORK.has(error.code ?? '') ||
  (error.$metadata?.httpStatusCode ?? 0) >= 500;

/** The table a command addresses, for logs: `TableName`, or the first of a batch's or transaction's. */
const tableOf = (input: Record<string, unknown>): string | undefined => {
  if (typeof input.TableName === 'string') return input.TableName;
  const items = input.RequestItems;
  if (items !== null && typeof items === 'object') return Object.keys(items)[0];
  const first = (input.TransactItems as Record<string, { TableName?: string }>[] | undefined)?.[0];
  return first === undefined ? undefined : Object.values(first)[0]?.TableName;
};

/**
 * The document client Herald's DynamoDB stores are built on, the same in every
 * runtime. Region, credentials and endpoint come the standard way
 * (`AWS_REGION`, the provider chain, `AWS_ENDPOINT_URL_DYNAMODB` or
 * `AWS_ENDPOINT_URL`), so one deployment's settings work against AWS and
 * against DynamoDB Local; `config` overrides them. Undefined attributes are
 * left out of an item instead of being refused, because Herald's optional
 * fields are undefined when absent.
 *
 * Every call is bounded: each attempt has a deadline that aborts it
 * (`timeoutMs`), the SDK makes at most `retries + 1` attempts, and a call
 * that runs out of them (timeouts, throttling, network or server errors)
 * throws the domain's `StoreUnavailableError`, after telling `observer`.
 * Any other error (a failed condition, a missing table) is thrown as the SDK
 * threw it. A call takes at most about `(retries + 1) × timeoutMs` plus the
 * backoff between attempts (under a second for two retries).
 */
const dynamoDbDocumentClient = (options: DynamoDbClientOptions = {}): DynamoDBDocumentClient => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  const retries = options.retries ?? DEFAULT_STORE_RETRIES;
  const { observer } = options;
  const client = new DynamoDBClient({
    maxAttempts: retries + 1,
    requestHandler: new AttemptDeadlineHandler(timeoutMs),
    ...options.config,
  });
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = (context.commandName ?? 'DynamoDB').replace(/Command$/, '');
      const startedAt = performance.now();
      observer?.started?.();
      try {
        return await next(args);
      } catch (error) {
        const sdk = error as SdkError;
        if (!isUnavailable(sdk)) throw error;
        const table = tableOf(args.input as Record<string, unknown>);
        observer?.unavailable?.({
          operation,
          table,
          attempts: sdk.$metadata?.attempts ?? 1,
          elapsedMs: Math.round(performance.now() - startedAt),
          reason: sdk.code ?? sdk.name ?? 'Error',
        });
        throw new StoreUnavailableError(operation, table, { cause: error });
      } finally {
        observer?.ended?.();
      }
    },
    { step: 'initialize', priority: 'high', name: 'heraldStoreCallBounds' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
};

/** `Retry-After` for `store_unavailable` under these bounds (defaults when not given). */
const retryAfterSeconds = (
  timeoutMs: number = DEFAULT_STORE_TIMEOUT_MS,
  retries: number = DEFAULT_STORE_RETRIES,
): number => storeRetryAfterSeconds(timeoutMs, retries);

export type { DynamoDbClientOptions, StoreCallFailure, StoreCallObserver };
export {
  DEFAULT_STORE_RETRIES,
  DEFAULT_STORE_TIMEOUT_MS,
  dynamoDbDocumentClient,
  retryAfterSeconds,
};
