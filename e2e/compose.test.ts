// Static contract of docker-compose.yml (docs/TOPOLOGY.md, ports of docs/SERVICES.md): no engine needed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledEntry, SERVICES, TRACING_REGISTER } from '@rgb/platform';
import { BUILD_ENTRIES } from '@rgb/platform/build';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CONTRACT_PORTS } from './support/contract';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_FILE = path.join(ROOT, 'docker-compose.yml');
const ENV_EXAMPLE = path.join(ROOT, '.env.compose.example');

/** Services that are not the platform's own processes. */
const INFRA = new Set(['postgres', 'redis']);
/** The one-shot migration service every app process waits for. */
const MIGRATE = 'migrate';
/** The one-shot demo-data seed (after migrate); every app process waits for it too. */
const SEED = 'seed';
const ONE_SHOTS = new Set([MIGRATE, SEED]);
/** The only services allowed to publish a port to the host. */
const HOST_PUBLISHERS = new Set(['router', 'rgs']);
/** Env names that hold a secret: their value must come from the environment, never the file. */
const SECRET_NAME = /(SECRET|PASSWORD|_KEY|TOKEN)$/;
/** `${NAME:?message}` / `${NAME?message}`: required from the environment, no default. */
const REQUIRED_INTERPOLATION = /^\$\{([A-Za-z_][A-Za-z0-9_]*):?\?[^}]*\}$/;

interface Service {
  image?: string;
  profiles?: string[];
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | number | { target?: number | string; published?: number | string }>;
}

function loadYaml<T>(file: string): T {
  // merge: compose files use `<<: *anchor` (YAML 1.1 merge keys).
  return YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true }) as T;
}

const compose = loadYaml<{ services?: Record<string, Service> }>(COMPOSE_FILE);
const services: Record<string, Service> = compose.services ?? {};
const supergraph = loadYaml<{ subgraphs?: Record<string, { routing_url?: string }> }>(
  path.join(ROOT, 'supergraph.yaml'),
);
const subgraphNames = Object.keys(supergraph.subgraphs ?? {});
const isWorker = (name: string) => name.endsWith('_worker');
/** The platform's own long-running processes: the services outside the opt-in profiles (e2e/observability.test.ts checks those). */
const appServiceNames = Object.keys(services).filter((n) => !INFRA.has(n) && !ONE_SHOTS.has(n) && !services[n]!.profiles);
const rootPackage = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts?: Record<string, string>;
};

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function envOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v == null ? '' : String(v)]));
}

function dependsOn(s: Service): Record<string, string> {
  const deps = s.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v?.condition ?? 'service_started']));
}

const TRACING = `./${compiledEntry(TRACING_REGISTER)}`;

function commandWords(s: Service): string[] {
  if (s.command == null) return [];
  return Array.isArray(s.command) ? s.command.map(String) : s.command.split(/\s+/).filter(Boolean);
}

/** A long-running process's command: node, the tracing register entry imported first, then its own entry. */
function tracedCommand(s: Service): { command: string; imports: string | undefined; entry: string | undefined } {
  const [command, flag, imported, entry] = commandWords(s);
  return flag === '--import' ? { command: command!, imports: imported, entry } : { command: command!, imports: undefined, entry: flag };
}

/** The value compose uses when the variable is unset: `${X:-d}` / `${X-d}` become `d`. */
function withDefaults(value: string): string {
  return value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
}

/** A URL whose `${...}` parts are replaced by a placeholder, so it can be parsed. */
function urlOf(value: string): URL {
  return new URL(withDefaults(value).replace(/\$\{[^}]*\}/g, 'x'));
}

function publishedPorts(s: Service): Array<{ published: string; target: string }> {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { published: String(p.published ?? ''), target: String(p.target ?? '') };
    const parts = withDefaults(String(p)).split('/')[0]!.split(':');
    const target = parts.at(-1)!;
    return { published: parts.length > 1 ? parts.at(-2)! : '', target };
  });
}

function requiredVars(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*):?\?/g)].map((m) => m[1]!))].sort();
}

describe('docker-compose.yml', () => {
  it('parses, and has infrastructure, migrate and at least one subgraph', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['postgres', 'redis', MIGRATE, SEED, 'router']));
    expect(subgraphNames.length).toBeGreaterThan(0);
  });

  it('has a compose service for every subgraph of supergraph.yaml, on its documented port', () => {
    for (const name of subgraphNames) {
      const port = CONTRACT_PORTS[name];
      expect(port, `subgraph ${name} has no documented port`).toBeDefined();
      expect(envOf(service(name)).PORT, `${name}: PORT`).toBe(String(port));
      // supergraph.yaml's local routing_url must agree with that port too.
      const routing = new URL(supergraph.subgraphs![name]!.routing_url!);
      expect(Number(routing.port), `${name}: supergraph.yaml routing_url port`).toBe(port);
    }
  });

  it('gives every documented API service its documented port', () => {
    const apis = Object.keys(services).filter((n) => n in CONTRACT_PORTS);
    expect(apis).toContain('router');
    for (const name of apis) {
      expect(envOf(service(name)).PORT, `${name}: PORT`).toBe(String(CONTRACT_PORTS[name]));
    }
  });

  it('health-checks every API service on GET /health of its own port', () => {
    for (const name of appServiceNames.filter((n) => envOf(service(n)).PORT !== undefined && !isWorker(n))) {
      const hc = service(name).healthcheck;
      expect(hc, `${name}: healthcheck`).toBeDefined();
      expect(hc!.disable, `${name}: healthcheck disabled`).not.toBe(true);
      const test = Array.isArray(hc!.test) ? hc!.test.join(' ') : String(hc!.test ?? '');
      expect(test, `${name}: healthcheck must run a command`).toMatch(/^(CMD|CMD-SHELL) /);
      expect(test, `${name}: healthcheck must request /health`).toMatch(/\/health\b/);
      const literal = /(?:127\.0\.0\.1|localhost):(\d+)\/health/.exec(test);
      if (literal) {
        expect(literal[1], `${name}: healthcheck port`).toBe(envOf(service(name)).PORT);
      } else {
        expect(test, `${name}: healthcheck must target its port (literal or process.env.PORT)`).toMatch(
          /127\.0\.0\.1:'\s*\+\s*process\.env\.PORT\s*\+\s*'\/health/,
        );
      }
    }
  });

  it('health-checks every worker on a fresh heartbeat file that says ok (progress, not liveness)', () => {
    const workers = appServiceNames.filter(isWorker);
    expect(workers).toEqual(expect.arrayContaining(['player_worker', 'wallet_worker', 'admin_worker']));
    for (const name of workers) {
      const file = envOf(service(name)).HEARTBEAT_FILE;
      expect(file, `${name}: HEARTBEAT_FILE`).toBeTruthy();
      const hc = service(name).healthcheck;
      const test = Array.isArray(hc?.test) ? hc.test.join(' ') : String(hc?.test ?? '');
      expect(test, `${name}: healthcheck reads its heartbeat file`).toContain(file!);
      expect(test, `${name}: healthcheck requires status ok`).toMatch(/status\s*===\s*'ok'/);
      expect(test, `${name}: healthcheck requires a fresh heartbeat`).toMatch(/Date\.now\(\)\s*-\s*Date\.parse\(h\.checked_at\)\s*<\s*\d+/);
    }
  });

  it('keeps the player API from publishing its outbox and starts it after a healthy player_worker', () => {
    expect(envOf(service('player')).ENABLE_OUTBOX_POLLER).toBe('false');
    expect(envOf(service('player_worker')).ENABLE_OUTBOX_POLLER).toBe('true');
    expect(dependsOn(service('player')).player_worker).toBe('service_healthy');
  });

  it('sends provider callbacks from the router to the game callback listener, which is not published', () => {
    const game = envOf(service('game'));
    expect(envOf(service('router')).GAME_CALLBACK_URL).toBe(`http://game:${game.CALLBACK_PORT}`);
    expect(service('game').ports ?? []).toEqual([]);
    expect(dependsOn(service('router')).game).toBe('service_healthy');
  });

  it('binds every app service on 0.0.0.0 and runs it with NODE_ENV=production', () => {
    expect(appServiceNames.length).toBeGreaterThan(0);
    for (const name of appServiceNames) {
      const env = envOf(service(name));
      expect(env.HOST, `${name}: HOST`).toBe('0.0.0.0');
      expect(env.NODE_ENV, `${name}: NODE_ENV`).toBe('production');
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'AUTH_JWT_SECRET', 'INTERNAL_JWT_SECRET', 'ADMIN_URL', 'AGENT_URL']) {
        expect(env[key], `${name}: ${key}`).toBeTruthy();
      }
      expect(urlOf(env.DATABASE_URL!).hostname, `${name}: DATABASE_URL host`).toBe('postgres');
      expect(urlOf(env.REDIS_URL!).hostname, `${name}: REDIS_URL host`).toBe('redis');
      expect(env.ADMIN_URL, `${name}: ADMIN_URL`).toBe(`http://admin:${CONTRACT_PORTS.admin}`);
      expect(env.AGENT_URL, `${name}: AGENT_URL`).toBe(`http://agent:${CONTRACT_PORTS.agent}`);
    }
  });

  it('makes the router wait for every subgraph to be healthy and route to it by service name', () => {
    const router = service('router');
    const deps = dependsOn(router);
    const env = envOf(router);
    for (const name of subgraphNames) {
      expect(deps[name], `router depends_on ${name}`).toBe('service_healthy');
      const key = `SUBGRAPH_${name.toUpperCase()}_URL`;
      expect(env[key], `router: ${key}`).toBeDefined();
      const url = urlOf(env[key]!);
      const local = new URL(supergraph.subgraphs![name]!.routing_url!);
      expect(url.hostname, `router: ${key} host`).toBe(name);
      expect(url.port, `router: ${key} port`).toBe(envOf(service(name)).PORT);
      expect(url.pathname, `router: ${key} path`).toBe(local.pathname);
    }
  });

  it('starts every app service only after migrate and seed completed successfully and redis is healthy', () => {
    expect(appServiceNames.length).toBeGreaterThan(0);
    for (const name of appServiceNames) {
      const deps = dependsOn(service(name));
      expect(deps[MIGRATE], `${name} depends_on ${MIGRATE}`).toBe('service_completed_successfully');
      expect(deps[SEED], `${name} depends_on ${SEED}`).toBe('service_completed_successfully');
      expect(deps.redis, `${name} depends_on redis`).toBe('service_healthy');
    }
    expect(dependsOn(service(MIGRATE)).postgres, 'migrate depends_on postgres').toBe('service_healthy');
    expect(commandWords(service(MIGRATE)).join(' ')).toBe(`node ${compiledEntry('packages/db/src/cli.ts')} migrate`);
    expect(dependsOn(service(SEED))[MIGRATE], 'seed depends_on migrate').toBe('service_completed_successfully');
    expect(commandWords(service(SEED)).join(' ')).toBe(`node ${compiledEntry('prisma/seed-main.ts')}`);
  });

  it('only waits for health on services that have a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const [dep, condition] of Object.entries(dependsOn(s))) {
        expect(services[dep], `${name} depends on unknown service ${dep}`).toBeDefined();
        if (condition === 'service_healthy') {
          expect(services[dep]!.healthcheck?.test, `${name} waits for ${dep} healthy, which has no healthcheck`).toBeDefined();
        }
      }
    }
  });

  it('carries no literal secret: every *_SECRET / *_PASSWORD / *_KEY value is a required ${...}', () => {
    let checked = 0;
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(envOf(s))) {
        if (SECRET_NAME.test(key)) {
          checked++;
          expect(value, `${name}: ${key} must be \${${key}:?...}, not a value or a default`).toMatch(REQUIRED_INTERPOLATION);
        }
        // Credentials inside URLs too (DATABASE_URL's password).
        const creds = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:([^@]*)@/i.exec(value);
        if (creds) {
          expect(creds[1], `${name}: ${key} embeds a literal password`).toMatch(REQUIRED_INTERPOLATION);
        }
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('lists every required variable, empty, in .env.compose.example', () => {
    const required = requiredVars(fs.readFileSync(COMPOSE_FILE, 'utf8'));
    expect(required).toEqual(
      expect.arrayContaining(['ADMIN_PASSWORD', 'AGENT_PASSWORD', 'AUTH_JWT_SECRET', 'INTERNAL_JWT_SECRET', 'POSTGRES_PASSWORD']),
    );
    const example = new Map(
      fs
        .readFileSync(ENV_EXAMPLE, 'utf8')
        .split('\n')
        .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1]!, m[2]!]),
    );
    for (const name of required) {
      expect(example.has(name), `.env.compose.example lacks ${name}`).toBe(true);
      expect(example.get(name), `.env.compose.example must not hold a value for ${name}`).toBe('');
    }
  });

  it('publishes host ports only for the router (and the RGS)', () => {
    for (const name of appServiceNames) {
      if (HOST_PUBLISHERS.has(name)) continue;
      expect(service(name).ports ?? [], `${name} must not publish ports`).toEqual([]);
    }
    expect(publishedPorts(service('router'))).toContainEqual({
      published: String(CONTRACT_PORTS.router),
      target: String(CONTRACT_PORTS.router),
    });
  });

  it('serves each process\'s metrics on a METRICS_PORT of its own, the one npm start gives it, never published', () => {
    const metricsPorts = new Map<string, string>();
    for (const name of appServiceNames) {
      const env = envOf(service(name));
      const metrics = env.METRICS_PORT;
      expect(metrics, `${name}: METRICS_PORT`).toMatch(/^\d+$/);
      expect(metrics, `${name}: METRICS_PORT is its PORT`).not.toBe(env.PORT);
      expect(Object.values(CONTRACT_PORTS).map(String), `${name}: METRICS_PORT is a documented API port`).not.toContain(metrics);
      expect(metrics, `${name}: METRICS_PORT is the game's CALLBACK_PORT`).not.toBe(envOf(service('game')).CALLBACK_PORT);
      expect(metricsPorts.get(metrics!), `${name}: METRICS_PORT ${metrics} is also ${metricsPorts.get(metrics!)}'s`).toBeUndefined();
      metricsPorts.set(metrics!, name);
      const local = SERVICES.find((spec) => spec.name === name);
      if (local) expect(metrics, `${name}: METRICS_PORT differs from apps/platform/src/services.ts`).toBe(String(local.metricsPort));
      expect(publishedPorts(service(name)).map(({ target }) => target), `${name} publishes its metrics port`).not.toContain(metrics);
    }
    expect([...metricsPorts.values()]).toEqual(expect.arrayContaining(['router', 'player', 'wallet', 'game', 'admin', 'player_worker', 'wallet_worker', 'admin_worker']));
  });

  it('defaults MULTI_BRAND_ENFORCEMENT to enforce', () => {
    const value = envOf(service('router')).MULTI_BRAND_ENFORCEMENT;
    expect(value, 'router: MULTI_BRAND_ENFORCEMENT').toBeDefined();
    expect(withDefaults(value!)).toBe('enforce');
  });

  it('runs each subgraph and the router from its own compiled entry file', () => {
    for (const name of subgraphNames) {
      expect(commandWords(service(name)), `${name}: command`).toEqual(['node', '--import', TRACING, `subgraphs/${name}/dist/main.js`]);
    }
    expect(commandWords(service('router')), 'router: command').toEqual(['node', '--import', TRACING, 'apps/router/dist/main.js']);
  });

  it('runs each service with plain node from a file npm run build writes, of a source that exists', () => {
    const built = new Map(BUILD_ENTRIES.map((source) => [compiledEntry(source), source]));
    for (const name of [...appServiceNames, ...ONE_SHOTS]) {
      const { command, imports, entry } = tracedCommand(service(name));
      expect(command, `${name}: runs with node, not a TypeScript loader`).toBe('node');
      if (appServiceNames.includes(name)) expect(imports, `${name}: starts tracing first`).toBe(TRACING);
      if (imports) expect(built.has(imports.replace(/^\.\//, '')), `${name}: ${imports} is not written by npm run build`).toBe(true);
      expect(built.has(entry!), `${name}: ${entry} is not written by npm run build`).toBe(true);
      expect(fs.existsSync(path.join(ROOT, built.get(entry!)!)), `${name}: ${built.get(entry!)} does not exist`).toBe(true);
    }
    expect(rootPackage.scripts?.build, 'npm script build').toBeDefined();
  });
});

// `docker compose config` validates against the Compose schema without an engine.
function composeCli(): string[] | undefined {
  const candidates = [['docker', 'compose'], ['docker-compose']];
  for (const cli of candidates) {
    const r = spawnSync(cli[0]!, [...cli.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cli;
  }
  return undefined;
}

describe('docker compose config', () => {
  const cli = composeCli();
  const noCli = 'neither `docker compose` (the Compose plugin) nor `docker-compose` is installed';
  const required = requiredVars(fs.readFileSync(COMPOSE_FILE, 'utf8'));

  function config(extraEnv: Record<string, string>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'compose-test-'));
    const envFile = path.join(dir, 'empty.env'); // keeps a developer's .env out of the check
    fs.writeFileSync(envFile, '');
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of required) delete env[name];
    try {
      return spawnSync(cli![0]!, [...cli!.slice(1), '--env-file', envFile, '-f', COMPOSE_FILE, 'config', '-q'], {
        encoding: 'utf8',
        env: { ...env, ...extraEnv },
      });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('accepts the file once the required secrets are set', (ctx) => {
    if (!cli) ctx.skip(noCli);
    const r = config(Object.fromEntries(required.map((n) => [n, `test-${n.toLowerCase()}`])));
    expect(r.status, `docker compose config failed: ${r.stderr}`).toBe(0);
  });

  it('refuses to run while a required secret is missing, naming it', (ctx) => {
    if (!cli) ctx.skip(noCli);
    expect(required).toContain('AUTH_JWT_SECRET');
    const r = config(Object.fromEntries(required.filter((n) => n !== 'AUTH_JWT_SECRET').map((n) => [n, 'x'])));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('AUTH_JWT_SECRET');
  });
});
