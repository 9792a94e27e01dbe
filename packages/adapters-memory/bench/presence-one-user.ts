// Presence cost per connection for one user with many connections (issue:
// "Hostile clients and bad input", item 3).
//
//   pnpm turbo run build --filter @herald/adapters-memory...
//   pnpm --filter @herald/adapters-memory bench [-- --small 100 --large 3000 --rounds 9]
//
// Opens `small` connections of each of large/small users in turn, and then
// `large` connections of one user, through PresenceTracker and
// InMemoryPresenceStore, closing each user's connections after opening them
// all, and reports the time per connection of each phase and its RATIO
// large/small. A cost per fact that is
// constant in the user's connections gives a ratio near 1; a cost that grows
// with them (each fact copying the whole record) gives a ratio near
// large/small. Rounds alternate the sizes, with a full GC before each run
// (when node runs with --expose-gc, as the script does); the fastest round of
// each size is reported, since on a shared machine noise only ever adds time.
import { parseArgs } from 'node:util';
import { InMemoryPresenceStore } from '@herald/adapters-memory';
import { type Clock, type EventPublisher, PresenceTracker } from '@herald/domain';

const { values } = parseArgs({
  options: {
    small: { type: 'string', default: '100' },
    large: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '9' },
  },
});
const SMALL = Number(values.small);
const LARGE = Number(values.large);
const ROUNDS = Number(values.rounds);

/** A clock that moves 1 ms per reading, so every fact happens at a distinct instant. */
const steppingClock = (): Clock => {
  let now = Date.UTC(2026, 0, 1);
  return { now: () => now++, sleep: async () => undefined };
};
const discard: EventPublisher = { publish: async () => undefined };

/**
 * Milliseconds per connection to open, then to close, `count` connections of
 * each of `users` users (one user after the other), so that both sizes do the
 * same number of facts in a round.
 */
const run = async (count: number, users: number): Promise<{ open: number; close: number }> => {
  globalThis.gc?.();
  const clock = steppingClock();
  const tracker = new PresenceTracker(new InMemoryPresenceStore(), discard, clock);
  const ids = Array.from({ length: count }, (_, i) => `conn-${i.toString(36).padStart(8, '0')}`);
  let open = 0;
  let close = 0;
  for (let user = 0; user < users; user++) {
    const userId = `user-${user}`;
    const started = performance.now();
    for (const connectionId of ids) {
      const at = clock.now();
      await tracker.record({
        kind: 'connected',
        userId,
        connectionId,
        at,
        expiresAt: at + 7_200_000,
      });
    }
    const opened = performance.now();
    for (const connectionId of ids) {
      await tracker.record({ kind: 'disconnected', userId, connectionId, at: clock.now() });
    }
    open += opened - started;
    close += performance.now() - opened;
  }
  return { open: open / (count * users), close: close / (count * users) };
};

const fastest = (values: readonly number[]): number => Math.min(...values);

const SMALL_USERS = Math.max(1, Math.round(LARGE / SMALL));
await run(SMALL, SMALL_USERS);
await run(LARGE, 1);
const small = { open: [] as number[], close: [] as number[] };
const large = { open: [] as number[], close: [] as number[] };
for (let round = 0; round < ROUNDS; round++) {
  const a = await run(SMALL, SMALL_USERS);
  const b = await run(LARGE, 1);
  small.open.push(a.open);
  small.close.push(a.close);
  large.open.push(b.open);
  large.close.push(b.close);
}

const format = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
for (const phase of ['open', 'close'] as const) {
  const s = fastest(small[phase]);
  const l = fastest(large[phase]);
  console.log(
    `${phase}: ${format(s)}/connection at ${SMALL}, ${format(l)}/connection at ${LARGE}; ` +
      `ratio ${LARGE}/${SMALL} = ${(l / s).toFixed(2)}`,
  );
}
