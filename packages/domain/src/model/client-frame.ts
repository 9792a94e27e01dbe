import type { StreamPosition } from './stream.js';

/** A client frame that parsed and validated. */
type ClientFrame =
  | { readonly action: 'ping' }
  | { readonly action: 'send'; readonly message: unknown }
  | { readonly action: 'publish'; readonly message: unknown }
  | { readonly action: 'subscribe'; readonly channel: string }
  | { readonly action: 'unsubscribe'; readonly channel: string }
  | {
      readonly action: 'resume';
      /** Each stream to resume, with the position the client has (epoch `''` when it has none). */
      readonly streams: Readonly<Record<string, StreamPosition>>;
    }
  | { readonly action: 'refresh'; readonly token: string };

type ClientAction = ClientFrame['action'];

const CLIENT_ACTIONS: readonly ClientAction[] = [
  'ping',
  'send',
  'publish',
  'subscribe',
  'unsubscribe',
  'resume',
  'refresh',
];

export type { ClientAction, ClientFrame };
export { CLIENT_ACTIONS };
