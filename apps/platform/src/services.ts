/** Every process the platform runs locally, in start order groups (CONTRACT.md ports). */
export interface ServiceSpec {
  name: string;
  /** Entry file, relative to the repository root. */
  entry: string;
  port: number;
  /** The game subgraph's provider callback listener (CALLBACK_PORT). */
  callbackPort?: number;
  /** Subgraphs are composed by the router, which starts after them; workers start with the subgraphs. */
  kind: 'subgraph' | 'worker' | 'router';
}

export const SERVICES: readonly ServiceSpec[] = [
  { name: 'admin', entry: 'subgraphs/admin/src/main.ts', port: 8016, kind: 'subgraph' },
  { name: 'player', entry: 'subgraphs/player/src/main.ts', port: 8010, kind: 'subgraph' },
  { name: 'wallet', entry: 'subgraphs/wallet/src/main.ts', port: 8011, kind: 'subgraph' },
  { name: 'game', entry: 'subgraphs/game/src/main.ts', port: 8012, callbackPort: 8112, kind: 'subgraph' },
  { name: 'player_worker', entry: 'subgraphs/player/src/worker-main.ts', port: 9010, kind: 'worker' },
  { name: 'wallet_worker', entry: 'subgraphs/wallet/src/worker-main.ts', port: 9011, kind: 'worker' },
  { name: 'admin_worker', entry: 'subgraphs/admin/src/worker-main.ts', port: 9016, kind: 'worker' },
  { name: 'router', entry: 'apps/router/src/main.ts', port: 8080, kind: 'router' },
];
