import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type Clock, StoreUnavailableError } from '@herald/domain';
import { type CapacityListener, capacityRequest, report } from './capacity.js';

const BATCH_GET_LIMIT = 100;

/**
 * Calls of one batch (BatchGetItem, BatchWriteItem) while DynamoDB leaves
 * part of it unprocessed, as it does when throttled: the waits between them
 * (50 ms doubling, at most 1 s) add up to about 4.5 s. Past them the call is
 * `store_unavailable`, like any other call the store does not answer in time.
 */
const BATCH_ATTEMPTS = 8;
/** The wait before the `attempt`th call (from 1) of a batch's remainder. */
const batchBackoffMs = (attempt: number): number => Math.min(1000, 25 * 2 ** attempt);

/** What a batch whose remainder DynamoDB never took ends with. */
const unprocessedError = (operation: string, table: string, left: number) =>
  new StoreUnavailableError(operation, table, {
    message: `${left} item(s) left unprocessed by DynamoDB after ${BATCH_ATTEMPTS} calls; try again later`,
  });

/**
 * Reads items by key with BatchGetItem, 100 keys per call, retrying the keys
 * DynamoDB leaves unprocessed with backoff, BATCH_ATTEMPTS calls at most.
 */
const batchGetItems = async (
  client: DynamoDBDocumentClient,
  clock: Clock,
  table: string,
  keys: readonly Record<string, unknown>[],
  capacity: { readonly listener: CapacityListener | undefined; readonly operation: string },
): Promise<Record<string, unknown>[]> => {
  const items: Record<string, unknown>[] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    let pending: Record<string, unknown>[] | undefined = keys.slice(i, i + BATCH_GET_LIMIT);
    for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS)
        throw unprocessedError(capacity.operation, table, pending.length);
      if (attempt > 0) await clock.sleep(batchBackoffMs(attempt));
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: pending } },
          ...capacityRequest(capacity.listener),
        }),
      );
      report(capacity.listener, capacity.operation, result.ConsumedCapacity);
      items.push(...(result.Responses?.[table] ?? []));
      pending = result.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return items;
};

export { BATCH_ATTEMPTS, batchBackoffMs, batchGetItems, unprocessedError };
