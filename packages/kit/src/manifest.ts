import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamName } from '@rgb/contracts';
import { METRICS_PORT_OFFSET } from './config';

let repositoryRoot: string | undefined;

/**
 * A file named from the repository root (a manifest's `schema`), from wherever this code runs:
 * its source, or a bundle of the build that hosts other packages' code (the launcher's).
 */
export function repositoryPath(relative: string): string {
  if (!repositoryRoot) {
    let directory = path.dirname(fileURLToPath(import.meta.url));
    while (!existsSync(path.join(directory, 'package-lock.json'))) {
      if (directory === path.dirname(directory)) throw new Error(`no repository (package-lock.json) above ${fileURLToPath(import.meta.url)}`);
      directory = path.dirname(directory);
    }
    repositoryRoot = directory;
  }
  return path.join(repositoryRoot, relative);
}

/** A process of the platform once started: where it serves, and how it stops (drain, close clients). */
export interface StartedProcess {
  url: string;
  metricsUrl: string;
  close(): Promise<void>;
}

/** A listener a process opens besides its app and metrics ports (the game's provider callbacks). */
export interface ListenerManifest {
  /** `callback`: the launcher names its port `<process>.callback` and tells others `<PROCESS>_CALLBACK_URL`. */
  name: string;
  port: number;
  /** The variables the process reads this listener's host and port from. */
  hostEnv: string;
  portEnv: string;
}

/**
 * `service`: an HTTP API that is neither a subgraph nor the router, and a client of the router
 * (the RGS pays through the router's provider callbacks): started after it, stopped before it.
 */
export type ProcessKind = 'subgraph' | 'worker' | 'router' | 'service';

/** One process the platform launches: an API (a subgraph, the router, a service) or a worker. */
export interface ProcessManifest {
  name: string;
  kind: ProcessKind;
  /** Its port (docs/SERVICES.md): the default of its PORT. */
  port: number;
  /** Where it serves `GET /metrics`: its port + METRICS_PORT_OFFSET of its kind. */
  metricsPort: number;
  listeners: readonly ListenerManifest[];
  /** Entry file from the repository root; the build writes it to `dist/` beside `src/` (`src/main.ts` → `dist/main.js`). */
  entry: string;
  /** Reads its config from `env` and starts it, as its entry file does, as a library. */
  start(env: NodeJS.ProcessEnv): Promise<StartedProcess>;
}

/** The manifest of a subgraph's API: a process, and the schema the router composes. */
export interface ApiManifest extends ProcessManifest {
  kind: 'subgraph';
  /** Its one `schema.graphql`, from the repository root (supergraph.yaml names the same file). */
  schema: string;
}

export interface WorkerManifest extends ProcessManifest {
  kind: 'worker';
}

/**
 * Everything the platform needs to know about one business domain: its API, its worker, the
 * event stream it produces (through its outbox) and the streams it consumes (through its inbox).
 * The launcher, supergraph.yaml and docker-compose.yml follow it (e2e/manifest.test.ts checks).
 */
export interface DomainManifest {
  name: string;
  api: ApiManifest;
  worker?: WorkerManifest;
  produces?: StreamName;
  /** `<domain>.outbox`, where the domain's writes put the events of `produces`. */
  outbox?: `${string}.outbox`;
  consumes: readonly StreamName[];
  /** `<domain>.inbox`, where its consumers record the events they applied. */
  inbox?: `${string}.inbox`;
}

type ProcessInput<Kind extends ProcessKind> = Omit<ProcessManifest, 'kind' | 'metricsPort' | 'listeners'> & {
  listeners?: readonly ListenerManifest[];
} & { kind: Kind };

/** A process manifest with its metrics port derived from its port (never a second literal). */
export function defineProcess<Kind extends ProcessKind>(input: ProcessInput<Kind>): ProcessManifest & { kind: Kind } {
  const offset = METRICS_PORT_OFFSET[input.kind === 'worker' ? 'worker' : 'api'];
  return { ...input, listeners: input.listeners ?? [], metricsPort: input.port + offset };
}

export function defineApi(input: Omit<ProcessInput<'subgraph'>, 'kind'> & { schema: string }): ApiManifest {
  return { ...defineProcess({ ...input, kind: 'subgraph' }), schema: input.schema };
}

export function defineWorker(input: Omit<ProcessInput<'worker'>, 'kind'>): WorkerManifest {
  return defineProcess({ ...input, kind: 'worker' });
}

/** Keeps the literal types of a domain (its outbox and inbox tables are what the events package accepts). */
export function defineDomain<const Domain extends DomainManifest>(domain: Domain): Domain {
  return domain;
}
