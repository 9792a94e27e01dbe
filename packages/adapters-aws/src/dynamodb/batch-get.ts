import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Clock } from '@herald/domain';
import { type CapacityListener, capacityRequest, report } from './capacity.js';

const BATCH_GET_LIMIT = 100;

/**
 * Reads items by key with BatchGetItem, 100 keys per call, retrying the keys
 * DynamoDB leaves unprocessed with backoff.
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
      if (attempt > 0) await clock.sleep(Math.min(1000, 25 * 2 ** attempt));
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

export { batchGetItems };
