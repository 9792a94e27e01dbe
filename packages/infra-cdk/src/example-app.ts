import { App, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { HeraldNotifications } from './herald-notifications.js';

/**
 * The example app: Herald with sensible defaults, a generated token secret in
 * Secrets Manager, and cdk-nag's AwsSolutions checks on everything.
 */
const buildExampleApp = (app: App = new App(), props: StackProps = {}) => {
  const stack = new Stack(app, 'Herald', {
    description: 'Herald: realtime notifications over WebSockets',
    ...props,
  });
  const secret = new Secret(stack, 'TokenSecret', {
    description: 'HMAC secret that signs Herald client tokens (share it with your token issuer)',
    generateSecretString: { passwordLength: 48, excludePunctuation: true },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'The token-signing secret is shared with the token issuer; rotating it must be coordinated with that issuer, not automatic.',
  });
  const herald = new HeraldNotifications(stack, 'Herald', { jwt: { secret } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack, herald };
};

export { buildExampleApp };
