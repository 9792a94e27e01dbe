import type { ClientProtocol } from './connection.js';
import type { StreamPosition } from './stream.js';

/** The enveloped protocol's name: offered as a subprotocol, or as the `protocol` query parameter. */
const ENVELOPE_PROTOCOL: ClientProtocol = 'herald.v1';

/** Where one envelope's entry sits: its stream and position, when it is on one. */
interface EnvelopeSource {
  readonly id: string | undefined;
  readonly stream?: string;
  readonly position?: StreamPosition;
}

/**
 * The `herald.v1` notification frame around data that is already JSON
 * (`{"type":"notification","stream":…,"offset":…,"epoch":…,"id":…,"data":…}`),
 * built around the encoded text so the data is never encoded twice. A
 * notification on no stream (to connection ids) has no stream, offset or
 * epoch; one without an id (no history kept) has no id.
 */
const envelopeText = (source: EnvelopeSource, data: string): string => {
  const parts = ['"type":"notification"'];
  if (source.stream !== undefined && source.position !== undefined) {
    parts.push(
      `"stream":${JSON.stringify(source.stream)}`,
      `"offset":${source.position.offset}`,
      `"epoch":${JSON.stringify(source.position.epoch)}`,
    );
  }
  if (source.id !== undefined) parts.push(`"id":${JSON.stringify(source.id)}`);
  parts.push(`"data":${data}`);
  return `{${parts.join(',')}}`;
};

export type { ClientProtocol, EnvelopeSource };
export { ENVELOPE_PROTOCOL, envelopeText };
