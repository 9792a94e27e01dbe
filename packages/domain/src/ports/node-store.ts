import type { NodeRecord } from '../model/node.js';

/**
 * Where embedded nodes sharing state keep their heartbeats: one record per
 * advertised URL, replaced by each beat. Reads are strongly consistent: a
 * node decides from them whether another node is dead.
 */
interface NodeStore {
  /** Writes the node's record; returns the one it replaced (a predecessor under the same URL), if any. */
  beat(record: NodeRecord): Promise<NodeRecord | undefined>;
  get(endpoint: string): Promise<NodeRecord | undefined>;
  /** Every record, lapsed ones included. */
  list(): Promise<readonly NodeRecord[]>;
  /**
   * Removes the record if it is still exactly this one (same incarnation and
   * lease): true for the one caller that removed it, false for everyone else.
   * Whoever retires a lapsed node removes its connections.
   */
  retire(record: NodeRecord): Promise<boolean>;
}

export type { NodeStore };
