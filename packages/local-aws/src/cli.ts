#!/usr/bin/env node
import { Logger } from '@aws-lambda-powertools/logger';
import { JavaMissingError } from '@herald/adapters-aws/emulators';
import { ConfigurationError } from '@herald/domain';
import { devHelpText, startLocalStack } from './local-stack.js';
import { helpText, type LocalAwsConfig, loadLocalAwsConfig } from './settings.js';
import { startLocalAws } from './start-local-aws.js';

const fail = (message: string): never => {
  process.stderr.write(`herald-local-aws: ${message}\n`);
  process.exit(2);
};

const messageOf = (error: unknown): string =>
  error instanceof ConfigurationError || error instanceof JavaMissingError
    ? error.message
    : String(error);

/** Stops on the first SIGINT or SIGTERM, then exits 0. */
const stopOnSignal = (stop: () => Promise<void>): void => {
  const once = () => {
    process.off('SIGINT', once);
    process.off('SIGTERM', once);
    stop().then(
      () => process.exit(0),
      (error) => fail(`stopping failed: ${String(error)}`),
    );
  };
  process.on('SIGINT', once);
  process.on('SIGTERM', once);
};

/** `herald-local-aws dev`: the emulators, the resources and the handlers, in one command. */
const dev = async (argv: readonly string[]): Promise<void> => {
  // Read once before anything starts, so a bad flag or --help costs no emulator.
  let config: LocalAwsConfig | 'help';
  try {
    config = loadLocalAwsConfig(argv, process.env);
  } catch (error) {
    return fail(messageOf(error));
  }
  if (config === 'help') {
    process.stdout.write(`${devHelpText()}\n`);
    return;
  }
  const logger = new Logger({ serviceName: 'herald', logLevel: config.settings.logLevel });
  let stack: Awaited<ReturnType<typeof startLocalStack>>;
  try {
    stack = await startLocalStack({
      argv,
      env: process.env,
      onError: (where, error) => logger.error('emulated invocation failed', { where, error }),
      log: logger,
    });
  } catch (error) {
    return fail(messageOf(error));
  }
  process.stdout.write(`${stack.banner}\n`);
  stopOnSignal(stack.stop);
};

const main = async (argv: readonly string[]): Promise<void> => {
  if (argv[0] === 'dev') return dev(argv.slice(1));
  let config: LocalAwsConfig | 'help';
  try {
    config = loadLocalAwsConfig(argv, process.env);
  } catch (error) {
    return fail(messageOf(error));
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
      log: logger,
    });
  } catch (error) {
    return fail(messageOf(error));
  }
  process.stdout.write(`${started.banner}\n`);
  stopOnSignal(() => started.emulation.stop());
};

await main(process.argv.slice(2));
