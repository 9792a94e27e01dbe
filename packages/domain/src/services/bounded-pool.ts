/**
 * Runs `worker` over `items` with at most `limit` calls in flight, in order of
 * start. Resolves when every call has settled; the worker handles its own errors.
 */
const runBounded = async <T>(
  items: readonly T[],
  limit: number,
  worker: (item: T) => Promise<void>,
): Promise<void> => {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await worker(item);
    }
  };
  const lanes = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
};

export { runBounded };
