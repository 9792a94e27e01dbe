import { describeClockContract, describeKeySourceContract } from '@herald/domain/testing';
import { StaticKeySource, SystemClock } from '../src/index.js';

const secret = (kid: string) => ({
  kind: 'secret' as const,
  kid,
  secret: new TextEncoder().encode(`secret-for-${kid}-padded-to-32-bytes-at-least`),
});

describeKeySourceContract('StaticKeySource', () => {
  const source = new StaticKeySource({ keys: [secret('k1'), secret('k2')] });
  return {
    source,
    initialKids: ['k1', 'k2'],
    rotate: async () => {
      source.replace({ keys: [secret('k3')] });
      return ['k3'];
    },
    break: async () => source.fail(),
  };
});

describeClockContract('SystemClock', () => new SystemClock());
