// The domain manifests (subgraphs/<name>/src/domain.ts) against everything else that lists the
// platform's processes: the launcher, supergraph.yaml, docker-compose.yml, the configs' defaults
// and the event tables. Each disagreement is named; all of them are listed at once.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadGameConfig } from '@rgb/game';
import { STREAMS } from '@rgb/contracts';
import { baseEnv, type ProcessManifest } from '@rgb/kit';
import { compiledEntry, DEFAULT_PORTS, DOMAINS, SERVICES, TRACING_REGISTER } from '@rgb/platform';
import { routerEnv } from '@rgb/router';
import { loadWalletConfig } from '@rgb/wallet';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { CONTRACT_PORTS } from './support/contract';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const readYaml = <T>(file: string) => YAML.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'), { merge: true }) as T;

interface ComposeService {
  profiles?: string[];
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition?: string }>;
}
const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml').services;
const supergraph = readYaml<{ subgraphs: Record<string, { routing_url: string; schema: { file: string } }> }>('supergraph.yaml').subgraphs;
/** Services of docker-compose.yml that are not processes of a manifest. */
const NOT_MANIFEST = new Set(['postgres', 'redis', 'migrate', 'seed']);

const envOf = (service: ComposeService) => Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, String(value)]));
const apis = DOMAINS.map((domain) => domain.api);
const router = SERVICES.find((spec) => spec.kind === 'router')!;
/** The processes that are no domain's: the router and the RGS. */
const standalone = SERVICES.filter((spec) => spec.kind === 'router' || spec.kind === 'service');

/** What supergraph.yaml says that the manifests do not (empty when they agree). */
function supergraphDrift(): string[] {
  const problems: string[] = [];
  for (const api of apis) {
    const entry = supergraph[api.name];
    if (!entry) {
      problems.push(`supergraph.yaml has no subgraph ${api.name}`);
      continue;
    }
    const url = new URL(entry.routing_url);
    if (url.host !== `127.0.0.1:${api.port}` || url.pathname !== '/graphql') {
      problems.push(`supergraph.yaml ${api.name}: routing_url ${entry.routing_url}, the manifest says http://127.0.0.1:${api.port}/graphql`);
    }
    if (path.normalize(entry.schema.file) !== path.normalize(api.schema)) {
      problems.push(`supergraph.yaml ${api.name}: schema ${entry.schema.file}, the manifest says ${api.schema}`);
    }
    if (!fs.existsSync(path.join(ROOT, api.schema))) problems.push(`${api.name}: the manifest's schema ${api.schema} does not exist`);
  }
  for (const name of Object.keys(supergraph)) {
    if (!apis.some((api) => api.name === name)) problems.push(`supergraph.yaml lists ${name}, which no domain manifest has`);
  }
  return problems;
}

/** What docker-compose.yml says that the manifests do not (empty when they agree). */
function composeDrift(): string[] {
  const problems: string[] = [];
  const check = (spec: ProcessManifest) => {
    const service = compose[spec.name];
    if (!service) return problems.push(`docker-compose.yml has no service ${spec.name}`);
    const env = envOf(service);
    const expected: Record<string, string> = {
      PORT: String(spec.port),
      METRICS_PORT: String(spec.metricsPort),
      ...Object.fromEntries(spec.listeners.map((listener) => [listener.portEnv, String(listener.port)])),
    };
    for (const [key, value] of Object.entries(expected)) {
      if (env[key] !== value) problems.push(`docker-compose.yml ${spec.name}: ${key} ${env[key] ?? 'unset'}, the manifest says ${value}`);
    }
    const command = (service.command ?? []).join(' ');
    const runs = `node --import ./${compiledEntry(TRACING_REGISTER)} ${compiledEntry(spec.entry)}`;
    if (command !== runs) {
      problems.push(`docker-compose.yml ${spec.name}: command "${command}", the manifest's entry runs as "${runs}"`);
    }
  };
  SERVICES.forEach(check);
  for (const name of Object.keys(compose)) {
    // Services of an opt-in profile (observability, tools) are not the platform's processes.
    if (!NOT_MANIFEST.has(name) && !compose[name]!.profiles && !SERVICES.some((spec) => spec.name === name)) problems.push(`docker-compose.yml runs ${name}, which no manifest has`);
  }

  const routerService = compose[router.name];
  const routerEnvironment = routerService ? envOf(routerService) : {};
  for (const api of apis) {
    const key = `SUBGRAPH_${api.name.toUpperCase()}_URL`;
    const url = `http://${api.name}:${api.port}/graphql`;
    if (routerEnvironment[key] !== url) problems.push(`docker-compose.yml router: ${key} ${routerEnvironment[key] ?? 'unset'}, the manifest says ${url}`);
    if (routerService?.depends_on?.[api.name]?.condition !== 'service_healthy') {
      problems.push(`docker-compose.yml router: does not wait for ${api.name} to be healthy (depends_on)`);
    }
    for (const listener of api.listeners) {
      const listenerKey = `${api.name}_${listener.name}_URL`.toUpperCase();
      const listenerUrl = `http://${api.name}:${listener.port}`;
      if (routerEnvironment[listenerKey] !== listenerUrl) {
        problems.push(`docker-compose.yml router: ${listenerKey} ${routerEnvironment[listenerKey] ?? 'unset'}, the manifest says ${listenerUrl}`);
      }
    }
  }
  for (const key of Object.keys(routerEnvironment).filter((name) => /^SUBGRAPH_.+_URL$/.test(name))) {
    if (!apis.some((api) => key === `SUBGRAPH_${api.name.toUpperCase()}_URL`)) problems.push(`docker-compose.yml router: ${key} names no domain's API`);
  }
  return problems;
}

/** The tables of prisma/schema mapped to `name` (`outbox`, `inbox`), as `<schema>.<name>`. */
function prismaTables(name: string): string[] {
  const directory = path.join(ROOT, 'prisma/schema');
  return fs
    .readdirSync(directory)
    .flatMap((file) => fs.readFileSync(path.join(directory, file), 'utf8').split(/^model /m).slice(1))
    .filter((model) => model.includes(`@@map("${name}")`))
    .map((model) => `${/@@schema\("([^"]+)"\)/.exec(model)?.[1]}.${name}`);
}

describe('the domain manifests', () => {
  it('give every documented port to its API, and every listener a port of its own', () => {
    for (const spec of [...apis, ...standalone]) expect({ name: spec.name, port: spec.port }).toEqual({ name: spec.name, port: CONTRACT_PORTS[spec.name] });
    const ports = Object.values(DEFAULT_PORTS);
    expect(new Set(ports).size).toBe(ports.length);
  });

  it('are what the launcher runs: every API, every worker, the router and the RGS, each on its manifest ports', () => {
    expect(SERVICES.map((spec) => spec.name).sort()).toEqual(
      [...DOMAINS.flatMap((domain) => [domain.api.name, ...(domain.worker ? [domain.worker.name] : [])]), 'router', 'rgs'].sort(),
    );
    expect(standalone.map((spec) => spec.name).sort()).toEqual(['rgs', 'router']);
    for (const spec of SERVICES) {
      expect(DEFAULT_PORTS[spec.name]).toBe(spec.port);
      expect(DEFAULT_PORTS[`${spec.name}.metrics`]).toBe(spec.metricsPort);
      expect(fs.existsSync(path.join(ROOT, spec.entry)), `${spec.name}: ${spec.entry}`).toBe(true);
    }
  });

  it('agree with supergraph.yaml: subgraph names, routing_url ports and schema files', () => {
    expect(supergraphDrift()).toEqual([]);
  });

  it('agree with docker-compose.yml: a service per API and worker, its ports and entry, the router routing to each subgraph', () => {
    expect(composeDrift()).toEqual([]);
  });

  it('agree with the defaults of the configs that name another service', () => {
    const port = (name: string) => SERVICES.find((spec) => spec.name === name)!.port;
    const local = { NODE_ENV: 'test' };
    const game = loadGameConfig({ ...local, DATABASE_URL: 'postgresql://x', REDIS_URL: 'redis://x', AUTH_JWT_SECRET: 'x'.repeat(32), INTERNAL_JWT_SECRET: 'x'.repeat(32) });
    const wallet = loadWalletConfig({ ...local, DATABASE_URL: 'postgresql://x', REDIS_URL: 'redis://x', AUTH_JWT_SECRET: 'x'.repeat(32), INTERNAL_JWT_SECRET: 'x'.repeat(32) });
    const callback = DOMAINS.find((domain) => domain.name === 'game')!.api.listeners.find((listener) => listener.name === 'callback')!;
    expect({
      ADMIN_URL: baseEnv.shape.ADMIN_URL.parse(undefined),
      PLAYER_URL: game.PLAYER_URL,
      WALLET_URL: game.WALLET_URL,
      CALLBACK_PORT: game.CALLBACK_PORT,
      GAME_CALLBACK_URL: routerEnv.shape.GAME_CALLBACK_URL.parse(undefined),
      RGS_URL: game.RGS_URL,
      ROLLING_URL: wallet.ROLLING_URL,
    }).toEqual({
      ADMIN_URL: `http://127.0.0.1:${port('admin')}`,
      PLAYER_URL: `http://127.0.0.1:${port('player')}`,
      WALLET_URL: `http://127.0.0.1:${port('wallet')}`,
      CALLBACK_PORT: callback.port,
      GAME_CALLBACK_URL: `http://127.0.0.1:${callback.port}`,
      RGS_URL: `http://127.0.0.1:${port('rgs')}`,
      ROLLING_URL: `http://127.0.0.1:${port('rolling')}`,
    });
  });

  it('name the outbox and inbox tables the database has, and the streams of the contract', () => {
    const produced = DOMAINS.filter((domain) => domain.produces);
    expect(produced.map((domain) => ({ domain: domain.name, outbox: domain.outbox }))).toEqual(
      produced.map((domain) => ({ domain: domain.name, outbox: `${domain.name}.outbox` })),
    );
    expect(DOMAINS.flatMap((domain) => (domain.outbox ? [domain.outbox] : [])).sort()).toEqual(prismaTables('outbox').sort());
    expect(DOMAINS.flatMap((domain) => (domain.inbox ? [domain.inbox] : [])).sort()).toEqual(prismaTables('inbox').sort());
    for (const domain of DOMAINS) {
      expect({ domain: domain.name, inbox: domain.consumes.length > 0 ? domain.inbox : undefined }).toEqual({
        domain: domain.name,
        inbox: domain.consumes.length > 0 ? `${domain.name}.inbox` : undefined,
      });
      for (const stream of [...(domain.produces ? [domain.produces] : []), ...domain.consumes]) expect(Object.keys(STREAMS)).toContain(stream);
    }
    const producers = produced.map((domain) => domain.produces);
    expect(new Set(producers).size, 'a stream has one producing domain').toBe(producers.length);
  });
});
