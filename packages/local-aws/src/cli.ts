#!/usr/bin/env node
import { Logger } from '@aws-lambda-powertools/logger';
import { ConfigurationError } from '@herald/domain';
import { helpText, type LocalAwsConfig, loadLocalAwsConfig } from './settings.js';
import { startLocalAws } from './start-local-aws.js';

const fail = (message: string): never => {
  process.stderr.write(`herald-local-aws: ${message}\n`);
  process.exit(2);
};

const main = async (): Promise<void> => {
  let config: LocalAwsConfig | 'help';
  try {
    config = loadLocalAwsConfig(process.argv.slice(2), process.env);
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  if (config === 'help') {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  const { settings, handlerEnv } = config;
  const logger = new Logger({ serviceName: 'herald', logLevel: settings.logLevel });
  let started: Awaited<ReturnType<typeof startLocalAws>>;
  try {
    started = await startLocalAws({
      settings,
      env: handlerEnv,
      onError: (where, error) => logger.error('emulated invocation failed', { where, error }),
    });
  } catch (error) {
    return fail(error instanceof ConfigurationError ? error.message : String(error));
  }
  process.stdout.write(`${started.banner}\n`);
  const stop = () => started.emulation.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
};

await main();
