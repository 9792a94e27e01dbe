// What the install test reads from the repository: the publishable packages,
// the README samples, and the versions the repository pins.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));

interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly private?: boolean;
  readonly license?: string;
  readonly bin?: Readonly<Record<string, string>>;
  readonly exports?: unknown;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

interface WorkspacePackage {
  readonly directory: string;
  readonly manifest: PackageJson;
}

const readJson = <T>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;

const rootManifest = (): PackageJson => readJson(join(REPOSITORY, 'package.json'));

/** Every workspace package that is not `private`: what `pnpm publish -r` would publish. */
const publishablePackages = (): WorkspacePackage[] =>
  readdirSync(join(REPOSITORY, 'packages'))
    .map((name) => join(REPOSITORY, 'packages', name))
    .filter((directory) => existsSync(join(directory, 'package.json')))
    .map((directory) => ({
      directory,
      manifest: readJson<PackageJson>(join(directory, 'package.json')),
    }))
    .filter(({ manifest }) => manifest.private !== true);

/**
 * The README code blocks marked for this test: a fence whose info string
 * carries `install-test:NAME` (```` ```ts install-test:cdk ````), from the root
 * README and every package's. Each name may appear once.
 */
const readmeSamples = (): ReadonlyMap<
  string,
  { readonly code: string; readonly readme: string }
> => {
  const readmes = [
    join(REPOSITORY, 'README.md'),
    ...readdirSync(join(REPOSITORY, 'packages')).map((name) =>
      join(REPOSITORY, 'packages', name, 'README.md'),
    ),
  ].filter((path) => existsSync(path));
  const samples = new Map<string, { code: string; readme: string }>();
  const fence = /^```[^\n]*\binstall-test:([\w-]+)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  for (const readme of readmes) {
    for (const [, name, code] of readFileSync(readme, 'utf8').matchAll(fence)) {
      if (name === undefined || code === undefined) continue;
      const previous = samples.get(name);
      if (previous !== undefined) {
        throw new Error(`install-test:${name} is marked twice: ${previous.readme} and ${readme}`);
      }
      samples.set(name, { code, readme });
    }
  }
  return samples;
};

export type { PackageJson, WorkspacePackage };
export { publishablePackages, REPOSITORY, readJson, readmeSamples, rootManifest };
