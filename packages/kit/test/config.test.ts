import { describe, expect, it } from 'vitest';
import { baseEnv, baseLocalDefaults, ConfigError, databaseEnv, loadConfig } from '../src/config';
import { loadSubgraphConfig } from '../src/service';
import { loadWorkerConfig } from '../src/worker-service';

const serviceEnv = baseEnv.extend(databaseEnv);
const load = (env: NodeJS.ProcessEnv) => loadConfig(serviceEnv, { env, localDefaults: baseLocalDefaults });
const problemsOf = (env: NodeJS.ProcessEnv): string => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('the configuration was accepted');
};

const productionEnv = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://app:secret@db.internal:5432/rgb',
  REDIS_URL: 'redis://cache.internal:6379',
  AUTH_JWT_SECRET: 'p'.repeat(40),
  INTERNAL_JWT_SECRET: 'q'.repeat(40),
} satisfies NodeJS.ProcessEnv;

describe('loadConfig', () => {
  it('lists every problem at once', () => {
    const message = problemsOf({ ...productionEnv, DATABASE_URL: 'mysql://x', REDIS_URL: undefined, INTERNAL_JWT_SECRET: 'short', LOG_LEVEL: 'loud' });
    expect(message).toContain('DATABASE_URL: must be a postgresql:// URL');
    expect(message).toContain('REDIS_URL: is required');
    expect(message).toContain('INTERNAL_JWT_SECRET: must be at least 32 characters');
    expect(message).toContain('LOG_LEVEL');
  });

  it('accepts a complete production environment', () => {
    expect(load(productionEnv)).toMatchObject({ NODE_ENV: 'production', AUTH_JWT_SECRET: productionEnv.AUTH_JWT_SECRET });
  });
});

describe('loadConfig in production', () => {
  it('names a missing AUTH_JWT_SECRET (no local default applies)', () => {
    expect(problemsOf({ ...productionEnv, AUTH_JWT_SECRET: undefined })).toContain('AUTH_JWT_SECRET: is required');
  });

  it('refuses a secret equal to its local default', () => {
    const message = problemsOf({ ...productionEnv, INTERNAL_JWT_SECRET: baseLocalDefaults.INTERNAL_JWT_SECRET });
    expect(message).toContain('INTERNAL_JWT_SECRET: the local default is not accepted in production');
  });
});

describe('loadConfig outside production', () => {
  it('fills unset variables with the local defaults', () => {
    expect(load({})).toMatchObject({
      NODE_ENV: 'development',
      DATABASE_URL: baseLocalDefaults.DATABASE_URL,
      REDIS_URL: baseLocalDefaults.REDIS_URL,
      AUTH_JWT_SECRET: baseLocalDefaults.AUTH_JWT_SECRET,
      INTERNAL_JWT_SECRET: baseLocalDefaults.INTERNAL_JWT_SECRET,
    });
  });

  it('keeps a value that is set', () => {
    expect(load({ NODE_ENV: 'test', AUTH_JWT_SECRET: 'x'.repeat(32) }).AUTH_JWT_SECRET).toBe('x'.repeat(32));
  });
});

describe('METRICS_PORT', () => {
  it('defaults clear of the app port: an API 1100 above its port, a worker 200 above', () => {
    expect(loadSubgraphConfig(8011, {})).toMatchObject({ PORT: 8011, METRICS_PORT: 9111 });
    expect(loadWorkerConfig(9011, {})).toMatchObject({ PORT: 9011, METRICS_PORT: 9211 });
  });

  it('stays on any free port (0) when the port is', () => {
    expect(loadSubgraphConfig(0, {})).toMatchObject({ PORT: 0, METRICS_PORT: 0 });
  });

  it('takes the port it is given, and refuses one that is not a port', () => {
    expect(loadWorkerConfig(9011, { METRICS_PORT: '19211' }).METRICS_PORT).toBe(19211);
    expect(() => loadSubgraphConfig(8011, { METRICS_PORT: '70000' })).toThrow(/METRICS_PORT: /);
  });
});
