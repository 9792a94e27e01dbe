import { getHeapStatistics } from 'node:v8';

/**
 * Heap a connection is budgeted when the total cap is derived from memory:
 * the socket, ws's state and buffers, Herald's per-connection record and its
 * store entries, with room to spare for frames in flight.
 */
const CONNECTION_BUDGET_BYTES = 64 * 1024;

/** Connections one user may hold at once, by default. */
const DEFAULT_MAX_CONNECTIONS_PER_USER = 100;
/** Connections one source address may hold at once, by default. */
const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 1000;

/** The default total cap: the V8 heap limit divided by the per-connection budget (at least 1). */
const defaultMaxConnections = (): number =>
  Math.max(1, Math.floor(getHeapStatistics().heap_size_limit / CONNECTION_BUDGET_BYTES));

interface ConnectionCapLimits {
  readonly perUser: number;
  readonly perAddress: number;
  readonly total: number;
}

/** Which cap refused a connection. */
type CapExceeded = 'user' | 'address' | 'total';

/**
 * Counts connections (open or being admitted) in total, per source address and
 * per user, and refuses one past a cap. A slot is taken when the connection is
 * admitted (before the handshake completes) and given back when it is refused
 * later or closes, so concurrent upgrades cannot overshoot a cap.
 */
class ConnectionCaps {
  private total = 0;
  private readonly byAddress = new Map<string, number>();
  private readonly byUser = new Map<string, number>();
  private readonly refused: Record<CapExceeded, number> = { user: 0, address: 0, total: 0 };

  constructor(readonly limits: ConnectionCapLimits) {}

  /** Takes a total and an address slot, or says which cap is full. */
  admitAddress(address: string): CapExceeded | undefined {
    if (this.total >= this.limits.total) return this.refuse('total');
    if ((this.byAddress.get(address) ?? 0) >= this.limits.perAddress) return this.refuse('address');
    this.total += 1;
    increment(this.byAddress, address, 1);
    return undefined;
  }

  releaseAddress(address: string): void {
    this.total -= 1;
    increment(this.byAddress, address, -1);
  }

  /** Takes a user slot, or says the user's cap is full. */
  admitUser(userId: string): CapExceeded | undefined {
    if ((this.byUser.get(userId) ?? 0) >= this.limits.perUser) return this.refuse('user');
    increment(this.byUser, userId, 1);
    return undefined;
  }

  releaseUser(userId: string): void {
    increment(this.byUser, userId, -1);
  }

  /** Upgrades refused so far, by cap. */
  get refusals(): Readonly<Record<CapExceeded, number>> {
    return { ...this.refused };
  }

  private refuse(cap: CapExceeded): CapExceeded {
    this.refused[cap] += 1;
    return cap;
  }
}

const increment = (counts: Map<string, number>, key: string, by: number): void => {
  const next = (counts.get(key) ?? 0) + by;
  if (next <= 0) counts.delete(key);
  else counts.set(key, next);
};

export type { CapExceeded, ConnectionCapLimits };
export {
  CONNECTION_BUDGET_BYTES,
  ConnectionCaps,
  DEFAULT_MAX_CONNECTIONS_PER_ADDRESS,
  DEFAULT_MAX_CONNECTIONS_PER_USER,
  defaultMaxConnections,
};
