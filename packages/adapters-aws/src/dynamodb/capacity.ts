import type { ConsumedCapacity } from '@aws-sdk/client-dynamodb';

/** Told the capacity units each operation consumed, when the store is asked to measure them. */
type CapacityListener = (operation: string, capacity: readonly ConsumedCapacity[]) => void;

/** Request options that ask DynamoDB for consumed capacity only when someone listens. */
const capacityRequest = (listener: CapacityListener | undefined) =>
  listener === undefined ? {} : ({ ReturnConsumedCapacity: 'INDEXES' } as const);

const report = (
  listener: CapacityListener | undefined,
  operation: string,
  capacity: ConsumedCapacity | readonly ConsumedCapacity[] | undefined,
): void => {
  if (listener === undefined || capacity === undefined) return;
  listener(operation, Array.isArray(capacity) ? capacity : [capacity as ConsumedCapacity]);
};

export type { CapacityListener };
export { capacityRequest, report };
