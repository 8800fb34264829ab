import { adminDomain } from '@rgb/admin/domain';
import { agentDomain } from '@rgb/agent/domain';
import type { InboxTable, OutboxTable } from '@rgb/events';
import { gameDomain } from '@rgb/game/domain';
import type { DomainManifest, ProcessManifest } from '@rgb/kit';
import { playerDomain } from '@rgb/player/domain';
import { promotionDomain } from '@rgb/promotion/domain';
import { reconDomain } from '@rgb/recon/domain';
import { rgsProcess } from '@rgb/rgs/manifest';
import { rollingDomain } from '@rgb/rolling/domain';
import { routerProcess } from '@rgb/router/manifest';
import { walletDomain } from '@rgb/wallet/domain';

/**
 * Every business domain of the platform, by its manifest (`subgraphs/<name>/src/domain.ts`). Each
 * outbox and inbox table a manifest names must be one the events package writes or reads (tsc).
 */
export const DOMAINS: readonly DomainManifest[] = [adminDomain, playerDomain, walletDomain, gameDomain, rollingDomain, promotionDomain, agentDomain, reconDomain] satisfies readonly {
  name: string;
  outbox?: OutboxTable;
  inbox?: InboxTable;
}[];

/**
 * Every process the platform runs locally: each domain's API and worker, the router, which is not
 * a domain and starts after the subgraphs it composes, and the RGS, which pays through the router.
 */
export const SERVICES: readonly ProcessManifest[] = [
  ...DOMAINS.map((domain) => domain.api),
  ...DOMAINS.flatMap((domain) => (domain.worker ? [domain.worker] : [])),
  routerProcess,
  rgsProcess,
];

/**
 * Every port the platform binds, by the name PlatformOptions.ports overrides it with: the
 * process's own (`wallet`), its metrics (`wallet.metrics`) and each extra listener (`game.callback`).
 */
export function portsOf(spec: ProcessManifest): Record<string, number> {
  return {
    [spec.name]: spec.port,
    [`${spec.name}.metrics`]: spec.metricsPort,
    ...Object.fromEntries(spec.listeners.map((listener) => [`${spec.name}.${listener.name}`, listener.port])),
  };
}

export const DEFAULT_PORTS: Readonly<Record<string, number>> = Object.assign({}, ...SERVICES.map(portsOf));

/** Instance `index` (from 1) of a process the launcher runs more than once: `wallet#2`. */
export const instanceName = (name: string, index: number) => `${name}#${index}`;

/** Where each instance of a process run `replicas` times takes its own default ports: the process's, plus this times its index. */
const INSTANCE_PORT_STEP = 10_000;

/**
 * Every port a platform running each process `replicas` times binds, by name, with its default.
 * One replica: DEFAULT_PORTS. More: each instance's own (`wallet#2`, `wallet#2.metrics`,
 * `game#2.callback`), and the process's port of each API and listener (`wallet`, `game.callback`),
 * where a balancer spreads connections over its instances. Metrics and workers have no balancer:
 * each instance is scraped on its own, and nobody calls a worker.
 */
export function platformPorts(replicas: number): Record<string, number> {
  if (replicas === 1) return { ...DEFAULT_PORTS };
  return Object.assign(
    {},
    ...SERVICES.map((spec) => {
      const instances = Array.from({ length: replicas }, (_, index) =>
        Object.fromEntries(Object.entries(portsOf(spec)).map(([name, port]) => [name.replace(spec.name, instanceName(spec.name, index + 1)), port + INSTANCE_PORT_STEP * (index + 1)])),
      );
      const balanced = spec.kind === 'worker' ? {} : Object.fromEntries(Object.entries(portsOf(spec)).filter(([name]) => name !== `${spec.name}.metrics`));
      return Object.assign(balanced, ...instances);
    }),
  );
}
