import type { Logger } from '@aws-lambda-powertools/logger';

/**
 * The server process's last resort: a promise rejected with nobody to handle
 * it is logged, and the process keeps serving, instead of Node's default of
 * exiting (which would drop every connection for one connection's bug).
 * Herald's own code handles its rejections where they happen; this guards
 * against the one that was missed. Uncaught exceptions keep Node's default:
 * after one, the process state is unknown. Returns a function that removes
 * the guard.
 */
const installProcessGuards = (logger: Logger): (() => void) => {
  const onRejection = (reason: unknown): void => {
    logger.error('unhandled promise rejection; the process keeps serving', { error: reason });
  };
  process.on('unhandledRejection', onRejection);
  return () => {
    process.off('unhandledRejection', onRejection);
  };
};

export { installProcessGuards };
