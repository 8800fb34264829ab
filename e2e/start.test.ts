import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Runs an entry file with `env` (on top of this process's, minus `unset`) and returns its exit code and output. */
function run(
  entry: string,
  env: Record<string, string>,
  unset: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const childEnv = { ...process.env, ...env };
  for (const name of unset) delete childEnv[name];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', entry],
      { cwd: ROOT, env: childEnv, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

const start = (env: Record<string, string>) => run('apps/platform/src/index.ts', env);

describe('npm start without its dependencies', () => {
  it('says in one line that PostgreSQL cannot be reached, and exits 1', async () => {
    const result = await start({ DATABASE_URL: 'postgresql://postgres@127.0.0.1:1/rgb' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'PostgreSQL is not reachable at 127.0.0.1:1 (ECONNREFUSED): start it or set DATABASE_URL',
    ]);
  });

  it('says in one line that Redis cannot be reached, and exits 1', async () => {
    const result = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual(['Redis is not reachable at 127.0.0.1:1 (ECONNREFUSED): start it or set REDIS_URL']);
  });
});

describe('a service in production', () => {
  const shared = ['AUTH_JWT_SECRET', 'INTERNAL_JWT_SECRET', 'REDIS_URL'];

  it.each([
    ['subgraphs/player/src/main.ts', [...shared, 'DATABASE_URL']],
    ['apps/router/src/main.ts', shared],
  ])('%s refuses to start without its settings, naming each', async (entry, required) => {
    const result = await run(entry, { NODE_ENV: 'production' }, [...shared, 'DATABASE_URL']);
    expect(result.code).toBe(1);
    for (const name of required) expect(result.stderr).toContain(`${name}: is required`);
  });

  it('refuses a secret left at its local value', async () => {
    const result = await run('subgraphs/player/src/main.ts', {
      NODE_ENV: 'production',
      AUTH_JWT_SECRET: 'local-auth-jwt-secret-not-for-production',
      INTERNAL_JWT_SECRET: 'x'.repeat(40),
      DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/rgb',
      REDIS_URL: 'redis://127.0.0.1:6379',
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('AUTH_JWT_SECRET: the local default is not accepted in production');
  });
});
