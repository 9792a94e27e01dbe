import { randomUUID } from 'node:crypto';
import { HeraldError, type OutboundEvent, toWireMessage } from '@herald/domain';

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

/** One batch entry's fields that SNS and SQS share; only the body's field name differs. */
interface EntryFields {
  readonly Id: string;
  readonly body: string;
  readonly MessageAttributes: Record<string, { DataType: 'String'; StringValue: string }>;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
}

/** A failed entry, as both batch APIs report it. */
interface BatchFailure {
  readonly Id?: string | undefined;
  readonly Code?: string | undefined;
  readonly Message?: string | undefined;
}

const isFifo = (name: string): boolean => name.endsWith('.fifo');

/** Message attributes as both SNS and SQS take them: every one a String. */
const stringAttributes = (
  attributes: Readonly<Record<string, string>>,
): EntryFields['MessageAttributes'] =>
  Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      { DataType: 'String', StringValue: value },
    ]),
  );

const entriesOf = (events: readonly OutboundEvent[], fifo: boolean): EntryFields[] =>
  events.map((event, index) => {
    const message = toWireMessage(event);
    return {
      Id: String(index),
      body: message.body,
      MessageAttributes: stringAttributes(message.attributes),
      ...(fifo
        ? {
            MessageGroupId: message.groupId,
            MessageDeduplicationId: message.deduplicationId ?? randomUUID(),
          }
        : {}),
    };
  });

/**
 * Publishes events through a batch API: 10 per call, attributes as Strings, a
 * group and de-duplication id on FIFO destinations. Entries a call reports as
 * failed (throttling, internal errors) are re-sent up to three times; what
 * still fails comes back as one PublishError naming the entries. `send` makes
 * the one call that differs between SNS and SQS.
 */
const publishInBatches = async (
  destination: string,
  fifo: boolean,
  events: readonly OutboundEvent[],
  send: (entries: readonly EntryFields[]) => Promise<readonly BatchFailure[] | undefined>,
): Promise<void> => {
  const entries = entriesOf(events, fifo);
  const failures: { id: string; reason: string }[] = [];
  for (let i = 0; i < entries.length; i += BATCH_LIMIT) {
    let batch = entries.slice(i, i + BATCH_LIMIT);
    let failed: readonly BatchFailure[] = [];
    for (let attempt = 0; attempt < ATTEMPTS && batch.length > 0; attempt++) {
      failed = (await send(batch)) ?? [];
      const retry = new Set(failed.map((f) => f.Id));
      batch = batch.filter((entry) => retry.has(entry.Id));
    }
    failures.push(
      ...failed.map((f) => ({ id: f.Id ?? '', reason: `${f.Code}: ${f.Message ?? ''}` })),
    );
  }
  if (failures.length > 0) throw new PublishError(destination, failures);
};

export type { BatchFailure, EntryFields };
export { BATCH_LIMIT, isFifo, PublishError, publishInBatches };
