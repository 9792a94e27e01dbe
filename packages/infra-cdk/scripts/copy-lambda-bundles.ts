// Copies the Lambda bundles that @herald/lambda-entrypoints builds
// (dist-bundles/{handler}/index.mjs and its lazy chunks) into this package's
// dist/lambda/, where the construct deploys them from as assets. Run by
// `build`, after tsc:
//
//   pnpm --filter @herald/infra-cdk build
//
// Source maps are left out (they are several megabytes per handler), and so is
// the comment that points at them.
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entriesPackage = dirname(
  createRequire(import.meta.url).resolve('@herald/lambda-entrypoints/package.json'),
);
const source = join(entriesPackage, 'dist-bundles');
const target = fileURLToPath(new URL('../dist/lambda/', import.meta.url));

if (!existsSync(source)) {
  throw new Error(
    `${source} is missing: build @herald/lambda-entrypoints first (turbo does, through "build")`,
  );
}
rmSync(target, { recursive: true, force: true });
cpSync(source, target, {
  recursive: true,
  filter: (path) => !path.endsWith('.map') && !path.endsWith('report.json'),
});

const withoutSourceMapComment = (dir: string): void => {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) withoutSourceMapComment(path);
    else if (entry.name.endsWith('.mjs')) {
      const code = readFileSync(path, 'utf8');
      writeFileSync(path, code.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    }
  }
};
withoutSourceMapComment(target);
console.log(`Lambda bundles copied to ${target}`);
