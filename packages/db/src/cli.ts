// Usage: tsx src/cli.ts generate | migrate | migrate:create --name <name> | await-migrations [--timeout <seconds>]
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { applyMigrations, awaitMigrations, createMigration, ensureDatabase } from './migrate';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres:postgres@127.0.0.1:5432/rgb';

const commands: Record<string, (args: string[]) => Promise<void>> = {
  async generate(args) {
    const prismaCli = createRequire(import.meta.url).resolve('prisma/build/index.js');
    const { status } = spawnSync(process.execPath, [prismaCli, 'generate', '--config', path.join(repoRoot, 'packages/db/prisma.config.ts'), ...args], {
      cwd: repoRoot,
      stdio: 'inherit',
      // generate never runs the schema engine, but the CLI downloads it unless this names an existing file.
      env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? fileURLToPath(import.meta.url) },
    });
    process.exitCode = status ?? 1;
  },

  async migrate() {
    if (await ensureDatabase(databaseUrl)) console.log(`Created database ${new URL(databaseUrl).pathname.slice(1)}`);
    const applied = await applyMigrations({ databaseUrl });
    console.log(applied.length ? `Applied:\n${applied.map((name) => `  ${name}`).join('\n')}` : 'No pending migrations.');
  },

  // A pod's init container: its process starts only once the schema it was built for is there
  // (the migrate Job applies it), while the pods of the previous release keep serving.
  async 'await-migrations'(args) {
    const { values } = parseArgs({ args, options: { timeout: { type: 'string', default: '300' } } });
    const timeoutSeconds = Number(values.timeout);
    if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) throw new Error(`Usage: await-migrations [--timeout <seconds>] (got ${values.timeout})`);
    await awaitMigrations({ databaseUrl, timeoutMs: timeoutSeconds * 1000, onWaiting: (state) => console.log(`Waiting: ${state}`) });
    console.log('Every migration of this build is applied.');
  },

  async 'migrate:create'(args) {
    const { values } = parseArgs({ args, options: { name: { type: 'string' } } });
    if (!values.name) throw new Error('Usage: migrate:create --name <name>');
    const created = await createMigration({ databaseUrl, name: values.name });
    console.log(created ? `Created ${path.relative(process.cwd(), created.path)}` : 'The schema matches the migrations: nothing to create.');
  },
};

const [command = '', ...args] = process.argv.slice(2);
const run = commands[command];
if (!run) {
  console.error(`Unknown command ${JSON.stringify(command)}. Commands: ${Object.keys(commands).join(', ')}`);
  process.exit(2);
}
try {
  await run(args);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
