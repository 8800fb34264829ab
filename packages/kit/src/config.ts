import { z } from 'zod';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LoadConfigOptions {
  env?: NodeJS.ProcessEnv;
  /**
   * Values used outside production when a variable is unset. In production none applies, and
   * a secret (a name ending in SECRET, PASSWORD or KEY) set to its local value is refused, so a
   * published local secret never guards real money.
   */
  localDefaults?: Record<string, string>;
}

const SECRET_NAME = /(SECRET|PASSWORD|KEY)$/;

/** Reads the environment once, validates it, and fails listing every problem at once. */
export function loadConfig<Schema extends z.ZodType>(
  schema: Schema,
  { env = process.env, localDefaults = {} }: LoadConfigOptions = {},
): z.infer<Schema> {
  const production = env.NODE_ENV === 'production';
  const problems: string[] = [];
  const input: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(localDefaults)) {
    if (production) {
      if (SECRET_NAME.test(name) && env[name] === value) problems.push(`${name}: the local default is not accepted in production`);
    } else if (!env[name]) {
      input[name] = value;
    }
  }
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const missing = issue.code === 'invalid_type' && input[String(issue.path[0])] === undefined;
      problems.push(`${issue.path.join('.')}: ${missing ? 'is required' : issue.message}`);
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return (result as { data: z.infer<Schema> }).data;
}

const secret = z.string().min(32, 'must be at least 32 characters');
const port = z.coerce.number().int().min(0).max(65535);

/**
 * How far above its PORT a process serves /metrics by default: APIs (80xx) on 91xx, workers
 * (90xx) on 92xx, clear of every API and worker port and of the game's callback listener (81xx).
 */
export const METRICS_PORT_OFFSET = { api: 1100, worker: 200 } as const;

/**
 * PORT, and METRICS_PORT: the listener of its own on which a process serves `GET /metrics` and
 * nothing else, so the public edge never shows metrics. Port 0 (any free port) stays 0.
 */
export function listenEnv(defaultPort: number, kind: keyof typeof METRICS_PORT_OFFSET) {
  return {
    PORT: port.default(defaultPort),
    METRICS_PORT: port.default(defaultPort === 0 ? 0 : defaultPort + METRICS_PORT_OFFSET[kind]),
  };
}

/** What every process reads (the router included). Services extend it with their own variables. */
export const baseEnv = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  HOST: z.string().default('127.0.0.1'),
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// URL'),
  AUTH_JWT_SECRET: secret,
  INTERNAL_JWT_SECRET: secret,
  ADMIN_URL: z.url().default('http://127.0.0.1:8016'),
  /**
   * Whether /metrics carries the Node process's own metrics (CPU, memory, event loop): the
   * single-process launcher gives them to one service only, so that one process is counted once.
   */
  PROCESS_METRICS: z.stringbool().default(true),
});
export type BaseConfig = z.infer<typeof baseEnv>;

/** What a process owning data adds: its PostgreSQL database and pool. */
export const databaseEnv = {
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgresql:// URL'),
  DATABASE_POOL_SIZE: z.coerce.number().int().positive().default(10),
  /** Distinct statements each connection keeps prepared; 0 behind a pooler that cannot hold them (PgBouncer in transaction mode). */
  DATABASE_PREPARED_STATEMENTS: z.coerce.number().int().min(0).default(500),
};

/**
 * What a process that signs people in adds: the login throttle (login-throttle.ts). Failures of
 * one username, and of one client address, are free up to a count; past it each further attempt
 * waits, the wait doubling per failure up to the maximum, and the count is forgotten a window
 * after the last wait ends.
 */
export const loginThrottleEnv = {
  LOGIN_THROTTLE_USERNAME_FAILURES: z.coerce.number().int().positive().default(5),
  LOGIN_THROTTLE_ADDRESS_FAILURES: z.coerce.number().int().positive().default(20),
  LOGIN_THROTTLE_DELAY_MS: z.coerce.number().int().positive().default(1_000),
  /** Below LOGIN_THROTTLE_DELAY_MS it is every wait. */
  LOGIN_THROTTLE_MAX_DELAY_MS: z.coerce.number().int().positive().default(15 * 60_000),
  LOGIN_THROTTLE_WINDOW_MS: z.coerce.number().int().positive().default(15 * 60_000),
};

/** What a subgraph answering agent callers adds: the agent domain, which alone decides what an agent may see (AgentAccess). */
export const agentCallerEnv = {
  AGENT_URL: z.url().default('http://127.0.0.1:8015'),
};

export const LOCAL_DATABASE_URL = 'postgresql://postgres:postgres@127.0.0.1:5432/rgb';
export const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** Local-profile values of the shared variables (refused in production). */
export const baseLocalDefaults: Record<string, string> = {
  DATABASE_URL: LOCAL_DATABASE_URL,
  REDIS_URL: LOCAL_REDIS_URL,
  AUTH_JWT_SECRET: 'local-auth-jwt-secret-not-for-production',
  INTERNAL_JWT_SECRET: 'local-internal-jwt-secret-not-for-production',
};

/**
 * Local-profile values of the remote gaming server's secrets (refused in production):
 * `RGS_OPERATOR_KEY`, the platform's X-Operator-Key (the seed stores its hash, the game presents
 * it), and `RGS_SECRETS_KEY`, the AES-256 key the RGS seals secrets under (the seed seals with it too).
 */
export const rgsLocalDefaults = {
  RGS_OPERATOR_KEY: 'rgs-operator-key',
  RGS_SECRETS_KEY: '6c6f63616c2d7267732d736563726574732d6b65792d6e6f742d666f722d7072',
} as const;
