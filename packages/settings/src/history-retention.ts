import type { HistoryRetention } from '@herald/domain';
import type { SettingValues } from './settings.js';

type RetentionSettings = SettingValues<
  | 'historyUserEntries'
  | 'historyUserTtlSeconds'
  | 'historyChannelEntries'
  | 'historyChannelTtlSeconds'
  | 'historyBroadcastEntries'
  | 'historyBroadcastTtlSeconds'
>;

/** The streams' retention, from the `HERALD_HISTORY_*` settings. */
const historyRetention = (settings: RetentionSettings): HistoryRetention => ({
  user: {
    maxEntries: settings.historyUserEntries,
    maxAgeMs: settings.historyUserTtlSeconds * 1000,
  },
  channel: {
    maxEntries: settings.historyChannelEntries,
    maxAgeMs: settings.historyChannelTtlSeconds * 1000,
  },
  broadcast: {
    maxEntries: settings.historyBroadcastEntries,
    maxAgeMs: settings.historyBroadcastTtlSeconds * 1000,
  },
});

export { historyRetention };
