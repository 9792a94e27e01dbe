import type { NodeRecord, NodeStore } from '@herald/domain';

/** NodeStore in process memory: for tests, and for nodes of one process sharing memory adapters. */
class InMemoryNodeStore implements NodeStore {
  private readonly records = new Map<string, NodeRecord>();

  async beat(record: NodeRecord): Promise<NodeRecord | undefined> {
    const previous = this.records.get(record.endpoint);
    this.records.set(record.endpoint, { ...record });
    return previous;
  }

  async get(endpoint: string): Promise<NodeRecord | undefined> {
    return this.records.get(endpoint);
  }

  async list(): Promise<readonly NodeRecord[]> {
    return [...this.records.values()];
  }

  async retire(record: NodeRecord): Promise<boolean> {
    const current = this.records.get(record.endpoint);
    if (
      current === undefined ||
      current.incarnation !== record.incarnation ||
      current.leaseExpiresAt !== record.leaseExpiresAt
    ) {
      return false;
    }
    this.records.delete(record.endpoint);
    return true;
  }
}

export { InMemoryNodeStore };
