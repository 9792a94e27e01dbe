import type { ConnectionRecord } from '../model/connection.js';
import { ENVELOPE_PROTOCOL, envelopeText } from '../model/envelope.js';
import type { NotificationRequest } from '../model/notification-request.js';
import { type NotificationStamp, streamResolver } from '../model/stream.js';
import { runBounded } from './bounded-pool.js';
import type { ConnectionRegistry } from './connection-registry.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The bytes each target of one delivery receives: the bare payload for a
 * connection that did not opt in (as Sumu's clients get it), and for a
 * `herald.v1` connection the envelope of the stream its copy belongs to, with
 * that stream's offset and epoch from the delivery's stamp. Each envelope is
 * built once per stream, so a delivery still encodes its data once.
 *
 * The framing knows a connection's protocol from its record: the listings of
 * users, channels and shards give records; connections named by id (direct
 * targets, continuations) are read from the registry first, when the delivery
 * keeps history (`needsRecords`).
 */
class DeliveryFraming {
  private readonly records = new Map<string, ConnectionRecord>();
  private readonly envelopes = new Map<string | undefined, Uint8Array>();
  private readonly streamOf: (record: ConnectionRecord | undefined) => string | undefined;
  private text: string | undefined;

  constructor(
    request: NotificationRequest,
    private readonly payload: Uint8Array,
    private readonly stamp: NotificationStamp | undefined,
  ) {
    this.streamOf = streamResolver(request);
  }

  /** True when connections known by id only must be read to be framed. */
  get needsRecords(): boolean {
    return this.stamp !== undefined;
  }

  /** Notes records a listing gave, so their connections are framed without a read. */
  know(records: readonly ConnectionRecord[]): void {
    for (const record of records) {
      if (record.protocol === ENVELOPE_PROTOCOL) this.records.set(record.connectionId, record);
    }
  }

  /** Reads the records of connections known by id only (those still registered). */
  async learn(
    connectionIds: readonly string[],
    registry: ConnectionRegistry,
    concurrency: number,
  ): Promise<void> {
    if (!this.needsRecords) return;
    await runBounded(connectionIds, concurrency, async (connectionId) => {
      const record = await registry.get(connectionId);
      if (record !== undefined) this.know([record]);
    });
  }

  /** What `connectionId` is posted. */
  bytesFor(connectionId: string): Uint8Array {
    // No herald.v1 connection among the targets (the usual broadcast): no lookup per target.
    if (this.records.size === 0) return this.payload;
    const record = this.records.get(connectionId);
    if (record === undefined) return this.payload;
    const stream = this.streamOf(record);
    let bytes = this.envelopes.get(stream);
    if (bytes === undefined) {
      this.text ??= decoder.decode(this.payload);
      const position = stream === undefined ? undefined : this.stamp?.positions[stream];
      bytes = encoder.encode(
        envelopeText(
          {
            id: this.stamp?.id,
            ...(stream === undefined || position === undefined ? {} : { stream, position }),
          },
          this.text,
        ),
      );
      this.envelopes.set(stream, bytes);
    }
    return bytes;
  }
}

export { DeliveryFraming };
