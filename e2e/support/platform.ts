import { randomBytes } from 'node:crypto';
import { createTestDatabase } from '@rgb/db/testing';
import { isolatedRedisUrl } from '@rgb/kit/testing';
import { crashLine, restartLine, startPlatform, type Crash, type PlatformMode, type PlatformOptions, type RunningPlatform } from '@rgb/platform';
import { expect } from 'vitest';
import { freePlatformPorts, send, type HttpResult } from './http';

export { isolatedRedisUrl, send };

export interface GraphQLResult<T = any> {
  status: number;
  body: { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** The data of a GraphQL answer that must have no errors (the errors are the failure's message). */
export function dataOf<T = any>(result: GraphQLResult<T>): T {
  expect(result.body.errors, JSON.stringify(result.body.errors)).toBeUndefined();
  return result.body.data as T;
}

export interface RequestOptions {
  host?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestPlatform {
  routerUrl: string;
  /** The port of every listener by its name in PlatformOptions.ports (`wallet`, `wallet.metrics`, `game.callback`). */
  ports: Record<string, number>;
  /** The Redis database this platform runs on, and its PostgreSQL database. */
  redisUrl: string;
  databaseUrl: string;
  platform: RunningPlatform;
  /** The secrets the platform runs with, so tests can mint tokens of their own. */
  secrets: {
    AUTH_JWT_SECRET: string;
    INTERNAL_JWT_SECRET: string;
    ADMIN_PASSWORD: string;
    AGENT_PASSWORD: string;
    /** Signs bank texts sent to POST /webhooks/sms. */
    RECON_SMS_SECRET: string;
    RECON_TELEGRAM_SECRET: string;
  };
  graphql<T = any>(query: string, variables?: Record<string, unknown>, options?: RequestOptions): Promise<GraphQLResult<T>>;
  post(path: string, body: string, options?: RequestOptions): Promise<HttpResult>;
  /** Registers a player on `host` and returns its tokens. */
  register(username: string, host?: string): Promise<{ accessToken: string; refreshToken: string }>;
  /** Where a process is called: its balancer when it runs replicas (`wallet`), or one instance (`wallet#2`). */
  serviceUrl(name: string): string;
  /** Where a process, or one of its instances (`wallet#2`), serves /metrics (its METRICS_PORT). */
  metricsUrl(name: string): string;
  /** Every crash of a process since boot, in order (the launcher restarts each). */
  crashes: Crash[];
  /** Every output line of every process (`wallet| ...`), and the launcher's own (`platform| wallet exited ...`). */
  output: string[];
  stop(): Promise<void>;
}

export interface BootOptions {
  /** A Redis of the test's own (an outage test stops it); by default a database of its own on the shared Redis. */
  redisUrl?: string;
  /** How the launcher restarts a crashed process (a test that keeps one down waits long). */
  restartPolicy?: PlatformOptions['restartPolicy'];
  /**
   * `processes` (the default: a test may kill one) or `single`, every service inside this test
   * process as npm start runs them.
   */
  mode?: PlatformMode;
  /** How long each process may take to come up (PlatformOptions.startTimeoutMs). */
  startTimeoutMs?: number;
  /** Instances of each process, behind a balancer for each API (PlatformOptions.replicas). */
  replicas?: number;
}

/** Boots the whole platform on free ports against a fresh database. */
export async function bootPlatform(env: Record<string, string> = {}, options: BootOptions = {}): Promise<TestPlatform> {
  const database = await createTestDatabase();
  const secrets = {
    AUTH_JWT_SECRET: randomBytes(32).toString('hex'),
    INTERNAL_JWT_SECRET: randomBytes(32).toString('hex'),
    ADMIN_PASSWORD: 'admin-e2e-password',
    AGENT_PASSWORD: 'agent-e2e-password',
    RECON_SMS_SECRET: randomBytes(32).toString('hex'),
    RECON_TELEGRAM_SECRET: randomBytes(32).toString('hex'),
  };
  const redisUrl = options.redisUrl ?? (await isolatedRedisUrl());
  const ports = await freePlatformPorts(options.replicas);
  const output: string[] = [];
  const crashes: Crash[] = [];
  let platform: RunningPlatform;
  try {
    platform = await startPlatform({
      databaseUrl: database.url,
      redisUrl,
      env: { LOG_LEVEL: 'warn', NODE_ENV: 'test', ...secrets, ...env },
      ports,
      mode: options.mode ?? 'processes',
      restartPolicy: options.restartPolicy,
      startTimeoutMs: options.startTimeoutMs,
      replicas: options.replicas,
      onOutput: (service, line) => output.push(`${service}| ${line}`),
      // As npm start reports them, among the output kept for a failure's message.
      onCrash: (crash) => {
        crashes.push(crash);
        output.push(`platform| ${crashLine(crash)}`);
      },
      onRestart: (service, restart) => output.push(`platform| ${restartLine(service, restart)}`),
    });
  } catch (error) {
    await database.drop();
    throw new Error(`platform failed to start: ${(error as Error).message}\n${output.slice(-40).join('\n')}`);
  }
  const routerUrl = platform.routerUrl;

  const headersOf = ({ host = 'localhost', token, headers = {} }: RequestOptions) => ({
    'content-type': 'application/json',
    host,
    ...(token ? { authorization: `Bearer ${token}` } : {}),
    ...headers,
  });

  const graphql: TestPlatform['graphql'] = async (query, variables, options = {}) => {
    const response = await send(`${routerUrl}/graphql`, 'POST', headersOf(options), JSON.stringify({ query, variables }));
    return { status: response.status, body: JSON.parse(response.text) as GraphQLResult['body'] };
  };

  return {
    routerUrl,
    ports,
    redisUrl,
    databaseUrl: database.url,
    platform,
    secrets,
    graphql,
    post: (path, body, options = {}) => send(`${routerUrl}${path}`, 'POST', headersOf(options), body),
    async register(username, host = 'localhost') {
      const result = await graphql(
        `mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken refreshToken } }`,
        { input: { username, password: 'password-123', nickname: username } },
        { host },
      );
      if (!result.body.data) throw new Error(`register failed: ${JSON.stringify(result.body)}`);
      return result.body.data.registerPlayer;
    },
    serviceUrl: (name) => `http://127.0.0.1:${ports[name]}`,
    metricsUrl: (name) => platform.services.find((service) => service.name === name)!.metricsUrl,
    crashes,
    output,
    async stop() {
      await platform.stop();
      await database.drop();
    },
  };
}

/** Reads one sample of a Prometheus counter from a /metrics page (0 when absent). */
export async function counterValue(metricsUrl: string, name: string, labels: Record<string, string>): Promise<number> {
  return sampleOf(await (await fetch(metricsUrl)).text(), name, labels);
}

/** One sample of a Prometheus counter in the text of a /metrics page (0 when absent). */
export function sampleOf(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((row) => row.startsWith(`${name}{`) && wanted.every((label) => row.includes(label)));
  return line ? Number(line.split(' ').pop()) : 0;
}
