import { type OutboundEvent, PresenceTracker } from '@herald/domain';
import {
  expectedTransitions,
  ManualClock,
  presenceScenarioArbitrary,
  replayScenario,
  usersOnlineAt,
} from '@herald/domain/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamoDbPresenceStore } from '../src/dynamodb/index.js';
import { createTables, documentClient } from './support/aws.js';

describe('PresenceTracker on DynamoDbPresenceStore (DynamoDB Local)', () => {
  it('publishes exactly the transitions of the plain model, in any delivery order', async () => {
    const client = documentClient();
    await fc.assert(
      fc.asyncProperty(presenceScenarioArbitrary(), async (scenario) => {
        const { presence } = await createTables();
        const clock = new ManualClock(0);
        const events: OutboundEvent[] = [];
        const publisher = {
          publish: async (batch: readonly OutboundEvent[]) => void events.push(...batch),
        };
        const tracker = new PresenceTracker(
          new DynamoDbPresenceStore(client, clock, { tableName: presence }),
          publisher,
          clock,
          {
            maxConnectionAgeMs: scenario.maxConnectionAgeMs,
          },
        );

        await replayScenario(scenario, tracker, clock);

        const expected = expectedTransitions(scenario);
        for (const userId of scenario.users) {
          const seen = events.flatMap((e) =>
            e.kind === 'presence' && e.userId === userId ? [e.status] : [],
          );
          expect(seen).toEqual(expected.get(userId));
        }
        const online = (await tracker.query(scenario.users))
          .filter((p) => p.online)
          .map((p) => p.userId);
        expect(new Set(online)).toEqual(usersOnlineAt(scenario, scenario.checkAt));
      }),
      { numRuns: 12 },
    );
  }, 120_000);
});
