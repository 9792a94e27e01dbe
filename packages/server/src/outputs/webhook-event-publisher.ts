import { createHmac } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import {
  type EventPublisher,
  HeraldError,
  type OutboundEvent,
  toWireMessage,
  type WireMessage,
} from '@herald/domain';

interface WebhookOptions {
  readonly url: string;
  /** Signs each body: `X-Herald-Signature: sha256=HMAC(secret, "<timestamp>.<body>")`. */
  readonly secret?: string;
  /** Events waiting at most; past that, publish rejects and the caller reports it. @default 10000 */
  readonly maxQueued?: number;
  /** Events per POST. @default 25 */
  readonly batchSize?: number;
  /** Attempts per batch before it is reported and dropped. @default 8 */
  readonly maxAttempts?: number;
  /** Per-request timeout, in ms. @default 5000 */
  readonly timeoutMs?: number;
  /** First backoff ceiling, in ms, doubling per attempt up to 30 s. @default 200 */
  readonly baseDelayMs?: number;
  /** Told about a batch that could not be delivered after every attempt. */
  readonly onDropped?: (events: number, reason: string) => void;
}

class OutputFullError extends HeraldError {
  readonly code = 'output_full';
}

/**
 * Sends events to an HTTP endpoint as `{"events":[{"body":…,"attributes":{…}}]}`.
 * `publish` only queues, so a socket is never held up by a slow backend; a
 * background loop POSTs batches, retrying network errors, 408, 429 and 5xx
 * with jittered exponential backoff. A batch refused with another 4xx, or
 * still failing after every attempt, is reported through `onDropped`.
 */
class WebhookEventPublisher implements EventPublisher {
  private readonly queue: WireMessage[] = [];
  private draining: Promise<void> | undefined;
  /** Events of the batch being sent now; they count against `maxQueued` too. */
  private sending = 0;
  private readonly stopped = new AbortController();
  private readonly maxQueued: number;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly baseDelayMs: number;

  constructor(private readonly options: WebhookOptions) {
    this.maxQueued = options.maxQueued ?? 10_000;
    this.batchSize = options.batchSize ?? 25;
    this.maxAttempts = options.maxAttempts ?? 8;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.baseDelayMs = options.baseDelayMs ?? 200;
  }

  async publish(events: readonly OutboundEvent[]): Promise<void> {
    if (this.stopped.signal.aborted) throw new OutputFullError('webhook output is closed');
    if (this.pending + events.length > this.maxQueued) {
      throw new OutputFullError(`webhook queue is full (${this.maxQueued} events waiting)`);
    }
    // Serialised before anything is queued: an event that cannot be serialised
    // rejects this call (the caller reports it) and queues nothing of the batch.
    const messages = events.map((event) => toWireMessage(event));
    this.queue.push(...messages);
    this.kick();
  }

  /**
   * Starts the background loop unless it runs or nothing waits. It restarts
   * itself for events queued while it was finishing, so none is stranded.
   */
  private kick(): void {
    if (this.draining !== undefined || this.queue.length === 0) return;
    this.draining = this.drain()
      .catch((error: unknown) => {
        // drain() reports every batch itself; this only keeps a bug there from
        // becoming an unhandled rejection that would end the process.
        this.options.onDropped?.(this.queue.splice(0).length + this.sending, String(error));
        this.sending = 0;
      })
      .finally(() => {
        this.draining = undefined;
        if (!this.stopped.signal.aborted) this.kick();
      });
  }

  /** Resolves when everything queued so far was sent or dropped, or when `timeoutMs` passes. */
  async flush(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.draining !== undefined && Date.now() < deadline) {
      await Promise.race([this.draining, delay(Math.max(1, deadline - Date.now()))]);
    }
    return this.queue.length === 0 && this.draining === undefined;
  }

  /** Events queued or being sent. */
  get pending(): number {
    return this.queue.length + this.sending;
  }

  /** Stops sending and retrying; what is still queued is reported through `onDropped`. */
  async close(): Promise<void> {
    this.stopped.abort();
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.batchSize);
      if (this.stopped.signal.aborted) {
        this.options.onDropped?.(
          batch.length + this.queue.splice(0).length,
          'webhook output closed',
        );
        return;
      }
      this.sending = batch.length;
      await this.send(batch);
      this.sending = 0;
    }
  }

  /**
   * The POST body of a batch, or why it could not be made (reported, never
   * thrown). Each event's body is already JSON (serialised once, in `publish`),
   * so it is spliced in as it is: parsing and serialising it again would cost
   * twice, and could fail here, outside the caller's error handling.
   */
  private bodyOf(batch: readonly WireMessage[]): { body: string } | { reason: string } {
    try {
      const events = batch.map(
        (m) => `{"body":${m.body},"attributes":${JSON.stringify(m.attributes)}}`,
      );
      return { body: `{"events":[${events.join(',')}]}` };
    } catch (error) {
      return { reason: `batch could not be serialised: ${(error as Error).message}` };
    }
  }

  private async send(batch: readonly WireMessage[]): Promise<void> {
    const serialised = this.bodyOf(batch);
    if ('reason' in serialised) {
      this.options.onDropped?.(batch.length, serialised.reason);
      return;
    }
    const { body } = serialised;
    let reason = '';
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (this.stopped.signal.aborted) break;
      try {
        if (attempt > 0) {
          const ceiling = Math.min(30_000, this.baseDelayMs * 2 ** (attempt - 1));
          await delay(Math.floor(Math.random() * ceiling), undefined, {
            signal: this.stopped.signal,
          });
        }
        const response = await fetch(this.options.url, {
          method: 'POST',
          headers: this.headers(body),
          body,
          signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.stopped.signal]),
        });
        await response.body?.cancel();
        if (response.ok) return;
        reason = `HTTP ${response.status}`;
        const retryable =
          response.status === 408 || response.status === 429 || response.status >= 500;
        if (!retryable) break;
      } catch (error) {
        reason = (error as Error).message;
      }
    }
    this.options.onDropped?.(batch.length, reason);
  }

  private headers(body: string): Record<string, string> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.options.secret !== undefined) {
      const timestamp = String(Date.now());
      const signature = createHmac('sha256', this.options.secret)
        .update(`${timestamp}.${body}`)
        .digest('hex');
      headers['x-herald-timestamp'] = timestamp;
      headers['x-herald-signature'] = `sha256=${signature}`;
    }
    return headers;
  }
}

export type { WebhookOptions };
export { OutputFullError, WebhookEventPublisher };
