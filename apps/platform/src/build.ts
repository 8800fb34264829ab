// npm run build: every entry the images run, compiled to plain JavaScript (`src/x.ts` → `dist/x.js`).
//
// The workspace packages export their TypeScript sources with extensionless imports, which Node
// cannot run and tsc does not rewrite, so each entry is bundled with esbuild: the workspace's own
// code (@rgb/*) inside, every other package left to node_modules, where `npm ci --omit=dev` puts
// it, unless the bundle would find another copy there than its importer does (npm nests
// packages/db's @prisma/adapter-pg under packages/db/node_modules): that one goes inside too.
// A bundle sits at the depth of its source (`<group>/<package>/dist/`), so the paths code
// resolves from `import.meta.url` (schema.graphql, supergraph.yaml, prisma/) still hold.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile, type Plugin } from 'esbuild';
import { compiledEntry, TRACING_REGISTER } from './platform';
import { SERVICES } from './services';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Every entry of the build: each service's, the launcher, and the one-shot tools the images run. */
export const BUILD_ENTRIES: readonly string[] = [
  ...SERVICES.map((spec) => spec.entry),
  TRACING_REGISTER,
  'apps/platform/src/index.ts',
  'packages/db/src/cli.ts',
  'prisma/seed-main.ts',
  'subgraphs/wallet/src/reconcile-cli.ts',
];

/** `lodash/fp` → `lodash`, `@scope/name/sub` → `@scope/name`. */
const packageOf = (specifier: string) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/');

/** The directory Node finds package `name` in, looking up from `directory`, as it resolves a bare import. */
function packageDirectory(name: string, directory: string): string | undefined {
  for (let current = directory; ; current = path.dirname(current)) {
    const candidate = path.join(current, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (current === path.dirname(current)) return undefined;
  }
}

/** Leaves a package to node_modules when the bundle at `outfile` finds the very copy its importer finds. */
const leaveThirdPartyOutside = (outfile: string): Plugin => ({
  name: 'leave-third-party-outside',
  setup(plugin) {
    plugin.onResolve({ filter: /^[^./]/ }, ({ path: specifier, kind, resolveDir }) => {
      if (kind === 'entry-point' || specifier.startsWith('@rgb/') || specifier.startsWith('node:')) return undefined;
      const name = packageOf(specifier);
      const fromImporter = packageDirectory(name, resolveDir);
      return fromImporter === packageDirectory(name, path.dirname(path.join(ROOT, outfile))) ? { path: specifier, external: true } : undefined;
    });
  },
});

/** Where the lockfile installs a package only for development (`npm ci --omit=dev` leaves it out). */
function developmentOnly(): Set<string> {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
  };
  return new Set(Object.entries(lock.packages).filter(([, entry]) => entry.dev || entry.devOptional).map(([location]) => location));
}

/** The packages the bundle at `outfile` imports at run time that a production install would not have. */
function missingFromProduction(outfile: string, metafile: Metafile, development: Set<string>): string[] {
  const imported = Object.values(metafile.outputs).flatMap((output) => output.imports.filter((entry) => entry.external).map((entry) => entry.path));
  const names = [...new Set(imported.filter((specifier) => !specifier.startsWith('node:')).map(packageOf))];
  return names.filter((name) => {
    const directory = packageDirectory(name, path.dirname(path.join(ROOT, outfile)));
    return !directory || development.has(path.relative(ROOT, directory));
  });
}

/** Bundles every entry; fails naming any entry that imports a package the image would not install. */
export async function buildAll(): Promise<string[]> {
  const development = developmentOnly();
  const problems: string[] = [];
  await Promise.all(
    BUILD_ENTRIES.map(async (entry) => {
      const result = await build({
        absWorkingDir: ROOT,
        entryPoints: [entry],
        outfile: compiledEntry(entry),
        bundle: true,
        // The CommonJS inside a bundled package calls require() (node builtins among others).
        banner: { js: "import { createRequire as createRequireOfBundle } from 'node:module'; const require = createRequireOfBundle(import.meta.url);" },
        platform: 'node',
        format: 'esm',
        target: 'node24',
        sourcemap: true,
        metafile: true,
        logLevel: 'warning',
        plugins: [leaveThirdPartyOutside(compiledEntry(entry))],
      });
      const missing = missingFromProduction(compiledEntry(entry), result.metafile, development);
      if (missing.length > 0) problems.push(`${entry} imports ${missing.join(', ')}, which only a development install has`);
    }),
  );
  if (problems.length > 0) throw new Error(`the build would not run on production dependencies:\n  ${problems.join('\n  ')}`);
  return BUILD_ENTRIES.map(compiledEntry);
}

const isEntry = import.meta.url === `file://${process.argv[1]}`;

if (isEntry) {
  const started = performance.now();
  const outputs = await buildAll();
  process.stdout.write(`built ${outputs.length} entries in ${Math.round(performance.now() - started)} ms:\n${outputs.map((file) => `  ${file}`).join('\n')}\n`);
}
