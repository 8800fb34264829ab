/** Every process the platform runs locally, in start order groups (CONTRACT.md ports). */
export interface ServiceSpec {
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  port: number;
  /**
   * Where the process serves /metrics (METRICS_PORT), never its app port: an API's 80xx port
   * plus 1100 (91xx), a worker's 90xx plus 200 (92xx), the defaults of packages/kit's config.
   */
  metricsPort: number;
  /** The game subgraph's provider callback listener (CALLBACK_PORT). */
  callbackPort?: number;
  /** Subgraphs are composed by the router, which starts after them; workers start with the subgraphs. */
  kind: 'subgraph' | 'worker' | 'router';
}

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'admin', entry: 'subgraphs/admin/src/main.ts', port: 8016, metricsPort: 9116, kind: 'subgraph' },
  { name: 'player', entry: 'subgraphs/player/src/main.ts', port: 8010, metricsPort: 9110, kind: 'subgraph' },
  { name: 'wallet', entry: 'subgraphs/wallet/src/main.ts', port: 8011, metricsPort: 9111, kind: 'subgraph' },
  { name: 'game', entry: 'subgraphs/game/src/main.ts', port: 8012, metricsPort: 9112, callbackPort: 8112, kind: 'subgraph' },
  { name: 'player_worker', entry: 'subgraphs/player/src/worker-main.ts', port: 9010, metricsPort: 9210, kind: 'worker' },
  { name: 'wallet_worker', entry: 'subgraphs/wallet/src/worker-main.ts', port: 9011, metricsPort: 9211, kind: 'worker' },
  { name: 'admin_worker', entry: 'subgraphs/admin/src/worker-main.ts', port: 9016, metricsPort: 9216, kind: 'worker' },
  { name: 'router', entry: 'apps/router/src/main.ts', port: 8080, metricsPort: 9180, kind: 'router' },
];

/**
 * Every port the platform binds, by the name PlatformOptions.ports overrides it with: the
 * service's own (`wallet`), its metrics (`wallet.metrics`) and the game's callbacks (`game.callback`).
 */
export function portsOf(spec: ServiceSpec): Record<string, number> {
  return {
    [spec.name]: spec.port,
    [`${spec.name}.metrics`]: spec.metricsPort,
    ...(spec.callbackPort === undefined ? {} : { [`${spec.name}.callback`]: spec.callbackPort }),
  };
}

export const DEFAULT_PORTS: Readonly<Record<string, number>> = Object.assign({}, ...SERVICES.map(portsOf));
