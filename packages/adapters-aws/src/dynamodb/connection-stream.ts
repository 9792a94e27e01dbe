import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { LIMITS, type PresenceFact, presenceRefreshDue } from '@herald/domain';

/** An item image in DynamoDB JSON; Lambda's types and the Streams client's each declare their own. */
type StreamImage = Readonly<Record<string, object>>;

/**
 * A DynamoDB Streams record of the connections table, as Lambda delivers it
 * (ApproximateCreationDateTime in epoch seconds) or GetRecords returns it (a Date).
 */
interface ConnectionStreamRecord {
  readonly eventName?: string | undefined;
  /** Lambda spells these `type` and `principalId`; the Streams client `Type` and `PrincipalId`. */
  readonly userIdentity?:
    | {
        readonly type?: string | undefined;
        readonly principalId?: string | undefined;
        readonly Type?: string | undefined;
        readonly PrincipalId?: string | undefined;
      }
    | undefined;
  readonly dynamodb?:
    | {
        readonly NewImage?: StreamImage | undefined;
        readonly OldImage?: StreamImage | undefined;
        readonly ApproximateCreationDateTime?: number | Date | undefined;
      }
    | undefined;
}

type Image = Record<string, unknown>;

const isConnection = (image: Image | undefined): image is Image => image?.sk === 'conn';

/** True for the REMOVE records that DynamoDB's TTL process writes. */
const isTtlDeletion = (record: ConnectionStreamRecord): boolean =>
  record.userIdentity?.type === 'Service' &&
  record.userIdentity.principalId === 'dynamodb.amazonaws.com';

const recordedAt = (record: ConnectionStreamRecord): number => {
  const at = record.dynamodb?.ApproximateCreationDateTime;
  return at instanceof Date ? at.getTime() : typeof at === 'number' ? at * 1000 : 0;
};

/** A connection counts for presence until its stored expiry, as the registry keeps it. */
const connected = (image: Image): PresenceFact => ({
  kind: 'connected',
  userId: image.userId as string,
  connectionId: image.connectionId as string,
  at: image.connectedAt as number,
  expiresAt: image.expiresAt as number,
});

interface PresenceFactsOptions {
  /** The registry's idle timeout, which sets how often a touch refreshes presence. @default LIMITS.idleTimeoutMs */
  readonly idleTimeoutMs?: number;
}

const disconnected = (image: Image, at: number): PresenceFact => ({
  kind: 'disconnected',
  userId: image.userId as string,
  connectionId: image.connectionId as string,
  at,
});

const refreshDue = (previous: Image, next: Image, idleTimeoutMs: number): boolean =>
  (next.expiresAt as number) > (previous.expiresAt as number) &&
  presenceRefreshDue(
    next.connectedAt as number,
    previous.lastSeenAt as number,
    next.lastSeenAt as number,
    idleTimeoutMs,
  );

/**
 * The presence facts a connections-table stream record carries: a connection
 * item inserted is a connect, counting until the item's `expiresAt`; removed
 * (by a disconnect, or by TTL when the disconnect never came, dated at its
 * expiry) is a disconnect; replaced under another user is both. A touch
 * (`lastSeenAt` and `expiresAt` moved on) is a refresh to the new expiry when
 * `presenceRefreshDue` says so, the same rule the embedded registry follows,
 * so presence lives as long as the connection does at most two presence
 * writes per connection per idle timeout; other touches and membership items
 * carry none. Because PresenceTracker treats facts as a set, a record
 * delivered twice changes nothing.
 */
const presenceFactsOf = (
  record: ConnectionStreamRecord,
  options: PresenceFactsOptions = {},
): PresenceFact[] => {
  const idleTimeoutMs = options.idleTimeoutMs ?? LIMITS.idleTimeoutMs;
  const image = (attributes: StreamImage | undefined) =>
    attributes === undefined
      ? undefined
      : (unmarshall(attributes as Record<string, AttributeValue>) as Image);
  const next = image(record.dynamodb?.NewImage);
  const previous = image(record.dynamodb?.OldImage);
  switch (record.eventName) {
    case 'INSERT':
      return isConnection(next) ? [connected(next)] : [];
    case 'REMOVE':
      if (!isConnection(previous)) return [];
      return [
        disconnected(
          previous,
          isTtlDeletion(record) ? (previous.expiresAt as number) : recordedAt(record),
        ),
      ];
    case 'MODIFY':
      if (!isConnection(previous) || !isConnection(next)) return [];
      if (previous.userId !== next.userId) {
        return [disconnected(previous, recordedAt(record)), connected(next)];
      }
      return refreshDue(previous, next, idleTimeoutMs) ? [connected(next)] : [];
    default:
      return [];
  }
};

export type { ConnectionStreamRecord, PresenceFactsOptions };
export { isTtlDeletion, presenceFactsOf };
