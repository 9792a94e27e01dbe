/**
 * Polls `probe` until it returns a value other than undefined, or fails once
 * `timeoutMs` has passed. For tests that wait on other processes: no sleeps.
 */
const waitFor = async <T>(
  probe: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 5000, intervalMs = 10, what = 'condition' } = {},
): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
};

export { waitFor };
