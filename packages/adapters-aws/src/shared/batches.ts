import { randomUUID } from 'node:crypto';
import { HeraldError, type OutboundEvent, toWireMessage, type WireMessage } from '@herald/domain';

/** SNS PublishBatch and SQS SendMessageBatch both take at most 10 entries. */
const BATCH_LIMIT = 10;
const ATTEMPTS = 3;

class PublishError extends HeraldError {
  readonly code = 'publish_failed';
  readonly failed: readonly { readonly id: string; readonly reason: string }[];

  constructor(destination: string, failed: readonly { id: string; reason: string }[]) {
    super(
      `${failed.length} event(s) were not accepted by ${destination}: ${failed[0]?.reason ?? ''}`,
    );
    this.failed = failed;
  }
}

interface BatchEntry {
  readonly id: string;
  readonly message: WireMessage;
  /** FIFO only: required when the destination has no content-based de-duplication. */
  readonly deduplicationId: string;
}

const entriesOf = (events: readonly OutboundEvent[]): BatchEntry[] =>
  events.map((event, index) => {
    const message = toWireMessage(event);
    return { id: String(index), message, deduplicationId: message.deduplicationId ?? randomUUID() };
  });

/**
 * Sends entries in batches of 10, and re-sends the entries a batch reports as
 * failed (throttling, internal errors) up to three times. What still fails is
 * reported in one PublishError, so the caller can retry or report it.
 */
const sendInBatches = async (
  destination: string,
  entries: readonly BatchEntry[],
  send: (batch: readonly BatchEntry[]) => Promise<readonly { id: string; reason: string }[]>,
): Promise<void> => {
  const failures: { id: string; reason: string }[] = [];
  for (let i = 0; i < entries.length; i += BATCH_LIMIT) {
    let batch = entries.slice(i, i + BATCH_LIMIT);
    let failed: readonly { id: string; reason: string }[] = [];
    for (let attempt = 0; attempt < ATTEMPTS && batch.length > 0; attempt++) {
      failed = await send(batch);
      const retry = new Set(failed.map((f) => f.id));
      batch = batch.filter((entry) => retry.has(entry.id));
    }
    failures.push(...failed);
  }
  if (failures.length > 0) throw new PublishError(destination, failures);
};

const isFifo = (name: string): boolean => name.endsWith('.fifo');

/** Message attributes as both SNS and SQS take them: every one a String. */
const stringAttributes = (attributes: Readonly<Record<string, string>>) =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: 'String', StringValue: value },
    ]),
  );

export type { BatchEntry };
export { BATCH_LIMIT, entriesOf, isFifo, PublishError, sendInBatches, stringAttributes };
