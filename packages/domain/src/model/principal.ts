/** Who a verified token speaks for. */
interface Principal {
  readonly userId: string;
  /** Channels the token allows subscribing to; `*` allows every channel. */
  readonly channels: readonly string[];
  /** The token's verified claims. */
  readonly claims: Readonly<Record<string, unknown>>;
}

const ANY_CHANNEL = '*';

const allowsChannel = (allowed: readonly string[], channel: string): boolean =>
  allowed.includes(ANY_CHANNEL) || allowed.includes(channel);

export type { Principal };
export { ANY_CHANNEL, allowsChannel };
