import type { PresenceRecord, PresenceStore } from '@herald/domain';

/**
 * PresenceStore in process memory. Each record is kept serialised, as a
 * database would keep it: a caller can never change a stored record except
 * through compareAndSet, and a user costs one short string rather than a tree
 * of objects keyed by random connection ids (each of which would get a
 * hidden class of its own in V8).
 */
class InMemoryPresenceStore implements PresenceStore {
  private readonly records = new Map<string, string>();
  private readonly versions = new Map<string, number>();
  /** Users with a connection that can expire, by their earliest expiry. */
  private readonly expiries = new Map<string, number>();

  async get(userId: string): Promise<PresenceRecord | undefined> {
    const stored = this.records.get(userId);
    return stored === undefined ? undefined : (JSON.parse(stored) as PresenceRecord);
  }

  async getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]> {
    const found: PresenceRecord[] = [];
    for (const userId of new Set(userIds)) {
      const stored = this.records.get(userId);
      if (stored !== undefined) found.push(JSON.parse(stored) as PresenceRecord);
    }
    return found;
  }

  async compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean> {
    if ((this.versions.get(next.userId) ?? 0) !== expectedVersion) return false;
    this.records.set(next.userId, JSON.stringify(next));
    this.versions.set(next.userId, next.version);
    if (next.nextExpiryAt === undefined) this.expiries.delete(next.userId);
    else this.expiries.set(next.userId, next.nextExpiryAt);
    return true;
  }

  async listExpiring(at: number, limit: number): Promise<readonly string[]> {
    const due: string[] = [];
    for (const [userId, expiry] of this.expiries) {
      if (due.length >= limit) break;
      if (expiry <= at) due.push(userId);
    }
    return due;
  }
}

export { InMemoryPresenceStore };
