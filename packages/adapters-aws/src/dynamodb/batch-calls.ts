// BatchGetItem and BatchWriteItem: what DynamoDB leaves unprocessed is sent again, within one bound.
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

/**
 * Sends `first`, then what each call hands back unprocessed, until nothing is
 * left: waits of `batchBackoffMs` between calls, BATCH_ATTEMPTS calls at
 * most, then StoreUnavailableError naming the operation, the table and how
 * many items were left. `call` sends one batch and answers its remainder.
 */
const untilProcessed = async <T>(
  clock: Clock,
  where: { readonly operation: string; readonly table: string },
  first: readonly T[],
  call: (pending: readonly T[]) => Promise<readonly T[] | undefined>,
): Promise<void> => {
  let pending: readonly T[] | undefined = first;
  for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
    if (attempt === BATCH_ATTEMPTS)
      throw new StoreUnavailableError(where.operation, where.table, {
        message: `${pending.length} item(s) left unprocessed by DynamoDB after ${BATCH_ATTEMPTS} calls; try again later`,
      });
    if (attempt > 0) await clock.sleep(batchBackoffMs(attempt));
    pending = await call(pending);
  }
};

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
  const where = { operation: capacity.operation, table };
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) {
    await untilProcessed(clock, where, keys.slice(i, i + BATCH_GET_LIMIT), async (pending) => {
      const result = await client.send(
        new BatchGetCommand({
          RequestItems: { [table]: { Keys: [...pending] } },
          ...capacityRequest(capacity.listener),
        }),
      );
      report(capacity.listener, capacity.operation, result.ConsumedCapacity);
      items.push(...(result.Responses?.[table] ?? []));
      return result.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    });
  }
  return items;
};

export { batchGetItems, untilProcessed };
