// The example app, for `cdk synth` / `cdk deploy` (see cdk.json). Builds
// from the package's compiled output, so run `pnpm run build` first.
import { buildExampleApp } from '@herald/infra-cdk/example';

buildExampleApp().app.synth();
