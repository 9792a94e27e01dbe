import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StreamTracker } from '../src/stream-tracker.js';

const entry = (offset: number, stream = 'user:u1', epoch = 'e1') => ({
  stream,
  offset,
  epoch,
  id: `n${offset}`,
  data: { offset },
});

describe('StreamTracker', () => {
  it('drops an entry at or before the position of its stream and epoch', () => {
    const tracker = new StreamTracker({ 'user:u1': { epoch: 'e1', offset: 5 } });

    const delivered = [entry(4), entry(5), entry(6), entry(6)].flatMap((e) => tracker.accept(e));

    expect(delivered.map((e) => e.offset)).toEqual([6]);
    expect(tracker.snapshot()).toEqual({ 'user:u1': { epoch: 'e1', offset: 6 } });
  });

  it('takes an entry of a new epoch whatever its offset', () => {
    const tracker = new StreamTracker({ 'user:u1': { epoch: 'e1', offset: 50 } });

    expect(tracker.accept(entry(1, 'user:u1', 'e2'))).toHaveLength(1);
    expect(tracker.snapshot()['user:u1']).toEqual({ epoch: 'e2', offset: 1 });
  });

  it('releases what a resume replayed, with live entries mixed in, once each in offset order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 1, max: 30 }),
        fc.array(fc.nat(60), { maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (start, count, extra, seeds) => {
          const tracker = new StreamTracker({ 'user:u1': { epoch: 'e1', offset: start } });
          const offsets = [...Array.from({ length: count }, (_, i) => start + 1 + i), ...extra];
          const shuffled = offsets
            .map((offset) => ({ offset, key: seeds.next().value as number }))
            .sort((a, b) => a.key - b.key)
            .map(({ offset }) => offset);

          tracker.hold();
          const during = shuffled.flatMap((offset) => tracker.accept(entry(offset)));
          const released = tracker.release({
            'user:u1': { recovered: true, epoch: 'e1', offset: start + count },
          });

          const expected = [...new Set(offsets.filter((o) => o > start))].sort((a, b) => a - b);
          expect(during).toEqual([]);
          expect(released.map((e) => e.offset)).toEqual(expected);
        },
      ),
    );
  });

  it('starts an unrecovered stream afresh at the position the server reports', () => {
    const tracker = new StreamTracker({ 'user:u1': { epoch: 'e1', offset: 9 } });

    tracker.hold();
    const released = tracker.release({ 'user:u1': { recovered: false, epoch: 'e2', offset: 3 } });

    expect(released).toEqual([]);
    expect(tracker.snapshot()).toEqual({ 'user:u1': { epoch: 'e2', offset: 3 } });
    expect(tracker.accept(entry(3, 'user:u1', 'e2'))).toEqual([]);
    expect(tracker.accept(entry(4, 'user:u1', 'e2'))).toHaveLength(1);
  });

  it('ignores stored positions that are not positions', () => {
    const tracker = new StreamTracker({
      good: { epoch: 'e', offset: 1 },
      bad: { epoch: 3, offset: 'x' } as never,
    });

    expect(tracker.snapshot()).toEqual({ good: { epoch: 'e', offset: 1 } });
  });
});
