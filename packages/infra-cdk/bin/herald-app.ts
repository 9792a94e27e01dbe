// The example app. `pnpm --filter @herald/infra-cdk synth` runs it directly
// (writing cdk.out/), and so does `cdk synth` / `cdk deploy` through cdk.json
// with a CDK CLI that reads this aws-cdk-lib's cloud assembly. It builds from
// the package's compiled output, so run `pnpm run build` first.

import { buildExampleApp } from '@herald/infra-cdk/example';
import { App } from 'aws-cdk-lib';

buildExampleApp(new App({ outdir: process.env.CDK_OUTDIR ?? 'cdk.out' })).app.synth();
