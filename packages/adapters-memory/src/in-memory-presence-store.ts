import type { PresenceRecord, PresenceStore } from '@herald/domain';

/**
 * PresenceStore in process memory. Records are copied in and out, so a caller
 * can never change a stored record except through compareAndSet.
 */
class InMemoryPresenceStore implements PresenceStore {
  private readonly records = new Map<string, PresenceRecord>();

  async get(userId: string): Promise<PresenceRecord | undefined> {
    const record = this.records.get(userId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async getMany(userIds: readonly string[]): Promise<readonly PresenceRecord[]> {
    const found: PresenceRecord[] = [];
    for (const userId of new Set(userIds)) {
      const record = this.records.get(userId);
      if (record !== undefined) found.push(structuredClone(record));
    }
    return found;
  }

  async compareAndSet(next: PresenceRecord, expectedVersion: number): Promise<boolean> {
    const stored = this.records.get(next.userId)?.version ?? 0;
    if (stored !== expectedVersion) return false;
    this.records.set(next.userId, structuredClone(next));
    return true;
  }

  async listExpiring(at: number, limit: number): Promise<readonly string[]> {
    const due: string[] = [];
    for (const record of this.records.values()) {
      if (due.length >= limit) break;
      if (record.nextExpiryAt !== undefined && record.nextExpiryAt <= at) due.push(record.userId);
    }
    return due;
  }
}

export { InMemoryPresenceStore };
