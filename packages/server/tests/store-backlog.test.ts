import { Logger } from '@aws-lambda-powertools/logger';
import { describe, expect, it, vi } from 'vitest';
import { StoreBacklog } from '../src/store-backlog.js';

const backlog = (maxInFlight: number) => {
  const logger = new Logger({ serviceName: 'herald-test', logLevel: 'SILENT' });
  const warn = vi.spyOn(logger, 'warn');
  return { store: new StoreBacklog({ maxInFlight, retryAfterSeconds: 3, logger }), warn };
};

describe('StoreBacklog', () => {
  it('sheds once more calls than the bound are in flight, until half the bound is left, with one WARN each way', () => {
    // prepare
    const { store, warn } = backlog(4);
    const states: boolean[] = [];

    // act: up to 6 in flight, hovering at the bound, then draining
    for (let i = 0; i < 6; i++) {
      store.started();
      states.push(store.shedding);
    }
    store.refused();
    store.refused();
    for (let i = 0; i < 2; i++) {
      store.ended();
      store.started();
      states.push(store.shedding);
    }
    for (let i = 0; i < 6; i++) {
      store.ended();
      states.push(store.shedding);
    }

    // assess
    expect(states).toEqual([
      ...[false, false, false, false, true, true],
      ...[true, true],
      ...[true, true, true, false, false, false],
    ]);
    expect(store.inFlight).toBe(0);
    expect(warn.mock.calls.map(([message]) => message)).toEqual([
      'store backlog over its bound: refusing new upgrades and backend requests with 503',
      'store backlog back under its bound: accepting again',
    ]);
    expect(warn.mock.calls[1]?.[1]).toMatchObject({ inFlight: 2, maxBacklog: 4, refused: 2 });
  });

  it('logs a call that ran out of time with its operation and table', () => {
    const { store, warn } = backlog(4);

    store.unavailable({
      operation: 'Query',
      table: 'connections',
      attempts: 3,
      elapsedMs: 6100,
      reason: 'TimeoutError',
    });

    expect(warn).toHaveBeenCalledWith(
      'store call failed: no answer within its timeout and retries',
      expect.objectContaining({ operation: 'Query', table: 'connections', attempts: 3 }),
    );
  });
});
