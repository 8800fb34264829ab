/** The documented port of every API (docs/SERVICES.md): inside its container, and the router's on the host. */
export const CONTRACT_PORTS: Readonly<Record<string, number>> = {
  router: 8080,
  player: 8010,
  wallet: 8011,
  game: 8012,
  rolling: 8013,
  promotion: 8014,
  agent: 8015,
  admin: 8016,
  recon: 8017,
  rgs: 8090,
};
