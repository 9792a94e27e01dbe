import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { type ConnectionStreamRecord, presenceFactsOf } from '@herald/adapters-aws/dynamodb';
import {
  type MetricsRecorder,
  NO_METRICS,
  type PresenceTracker,
  StoreUnavailableError,
  type UserPresence,
  ValidationError,
  wireError,
} from '@herald/domain';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';

interface PresenceDeps {
  readonly tracker: PresenceTracker;
  readonly logger: Logger;
  /** The registry's idle timeout: how often a touch refreshes presence (see presenceFactsOf). @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
  /** Told of each transition committed. @default NO_METRICS */
  readonly metrics?: MetricsRecorder;
}

/**
 * The connections table's stream consumer: each record's facts drive
 * PresenceTracker, which publishes ONLINE/OFFLINE. Facts are a set, so a
 * redelivered record changes nothing; a failed record is reported alone. A
 * touch that extends a connection's expiry keeps its presence alive (a
 * refresh at most twice per idle timeout); a connection that stops being
 * touched lapses, and its TTL removal arrives as a REMOVE, a disconnect dated
 * at its expiry.
 */
const makePresenceHandler = ({
  tracker,
  logger,
  idleTimeoutMs,
  metrics = NO_METRICS,
}: PresenceDeps) => {
  const processor = new BatchProcessor(EventType.DynamoDBStreams);
  return async (event: DynamoDBStreamEvent, context: Context): Promise<DynamoDBBatchResponse> =>
    processPartialResponse(
      event,
      async (record: DynamoDBRecord) => {
        const facts = presenceFactsOf(record as ConnectionStreamRecord, {
          ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
        });
        for (const fact of facts) {
          const events = await tracker.record(fact);
          for (const e of events) {
            logger.info('presence', { userId: e.userId, status: e.status });
            metrics.presenceTransition(e.status);
          }
        }
      },
      processor,
      // A stream's records are in order per item; handled in parallel, a
      // REMOVE could overtake its own INSERT.
      { context, processInParallel: false, throwOnFullBatchFailure: false },
    );
};

const MAX_USERS = 100;

/**
 * `GET /presence?userIds=a,b` on the HTTP API (IAM-authorised by default).
 * A store that does not answer within its bound is answered 503
 * `store_unavailable` with `Retry-After: retryAfterSeconds` (default 1).
 */
const makePresenceQueryHandler =
  ({
    tracker,
    retryAfterSeconds = 1,
  }: {
    readonly tracker: PresenceTracker;
    readonly retryAfterSeconds?: number;
  }) =>
  async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
    const userIds = (event.queryStringParameters?.userIds ?? '')
      .split(',')
      .filter((id) => id.length > 0);
    if (userIds.length === 0 || userIds.length > MAX_USERS) {
      return {
        statusCode: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          error: wireError(
            new ValidationError('userIds', `give 1 to ${MAX_USERS} comma-separated ids`),
          ),
        }),
      };
    }
    let users: readonly UserPresence[];
    try {
      users = await tracker.query(userIds);
    } catch (error) {
      if (!(error instanceof StoreUnavailableError)) throw error;
      return {
        statusCode: 503,
        headers: { 'content-type': 'application/json', 'retry-after': String(retryAfterSeconds) },
        body: JSON.stringify({ error: wireError(error) }),
      };
    }
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        users: users.map((u) => ({ ...u, lastSeenAt: u.lastSeenAt ?? null })),
      }),
    };
  };

export { makePresenceHandler, makePresenceQueryHandler };
