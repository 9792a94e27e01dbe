// Helpers for tests of the enveloped protocol, herald.v1: envelopes parsed,
// positions kept per stream, and a resume that collects its replay.
import type { Client } from './websocket-client.js';

/** One `herald.v1` notification frame. */
interface Envelope {
  readonly type: 'notification';
  readonly stream?: string;
  readonly offset?: number;
  readonly epoch?: string;
  readonly id?: string;
  readonly data: unknown;
}

type Positions = Record<string, { epoch: string; offset: number }>;

interface ResumeOutcome {
  /** The notifications replayed before the `resumed` frame, in the order they arrived. */
  readonly replayed: readonly Envelope[];
  /** The `resumed` frame (or the error frame, when the resume was refused). */
  readonly answer: { readonly type: string; readonly [key: string]: unknown };
}

/** The next `count` frames, parsed. */
const nextEnvelopes = async (client: Client, count = 1): Promise<Envelope[]> =>
  (await client.next(count)).map((text) => JSON.parse(text) as Envelope);

/** Where a client stands on each stream, after the envelopes it received. */
const positionsOf = (envelopes: readonly Envelope[], into: Positions = {}): Positions => {
  for (const { stream, epoch, offset } of envelopes) {
    if (stream === undefined || epoch === undefined || offset === undefined) continue;
    const held = into[stream];
    if (held === undefined || held.offset < offset) into[stream] = { epoch, offset };
  }
  return into;
};

/** Sends a resume and collects the frames up to its answer (`resumed`, or an error). */
const resume = async (client: Client, streams: Positions): Promise<ResumeOutcome> => {
  client.send({ action: 'resume', streams });
  const replayed: Envelope[] = [];
  for (;;) {
    const [frame] = await nextEnvelopes(client);
    if ((frame as { type: string }).type === 'notification') replayed.push(frame as Envelope);
    else return { replayed, answer: frame as unknown as ResumeOutcome['answer'] };
  }
};

export type { Envelope, Positions, ResumeOutcome };
export { nextEnvelopes, positionsOf, resume };
