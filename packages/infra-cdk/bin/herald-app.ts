// The example app, run by `cdk synth` / `cdk deploy` through cdk.json
// (`pnpm --filter @herald/infra-cdk synth`). It builds from the package's
// compiled output, so run `pnpm run build` first.

import { buildExampleApp } from '@herald/infra-cdk/example';
import { App } from 'aws-cdk-lib';

buildExampleApp(new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' })).app.synth();
