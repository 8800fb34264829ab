import { request, type IncomingHttpHeaders } from 'node:http';
import { adminSubgraph } from '@rgb/admin';
import { agentSubgraph, loadAgentConfig } from '@rgb/agent';
import { loadGameConfig, start as startGame } from '@rgb/game';
import { baseLocalDefaults, loadConfig, type Logger } from '@rgb/kit';
import { freePort, startSeededTestSubgraph, startTestSubgraph, type SeededTestSubgraph } from '@rgb/kit/testing';
import { playerSubgraph } from '@rgb/player';
import { loadPromotionConfig, promotionSubgraph } from '@rgb/promotion';
import { loadReconConfig, reconSubgraph } from '@rgb/recon';
import { loadRollingConfig, rollingSubgraph } from '@rgb/rolling';
import { loadWalletConfig, walletSubgraph } from '@rgb/wallet';
import { routerEnv } from '../src/config';
import { createRouter, type Router } from '../src/server';

export type StoppableSubgraph = 'player' | 'wallet' | 'game' | 'agent';

export interface LocalRouterOptions {
  nodeEnv?: 'development' | 'production';
  /** Variables over the ones that point the router at these subgraphs. */
  env?: Record<string, string>;
  log?: Logger;
}

interface Running {
  url: string;
  metricsUrl: string;
  close(): Promise<void>;
}

/**
 * Every subgraph of supergraph.yaml in this process, on one seeded database, and routers over
 * them listening on real sockets; a test can stop a subgraph and start it again on its port.
 */
export interface LocalPlatform {
  admin: SeededTestSubgraph;
  /** Where a running subgraph listens (its origin). */
  url(name: StoppableSubgraph): string;
  /** The `GET /metrics` text of a running subgraph. */
  metrics(name: StoppableSubgraph): Promise<string>;
  /** A router over these subgraphs, listening on a free port; closed with the platform. */
  router(options?: LocalRouterOptions): Promise<{ router: Router; url: string }>;
  stop(name: StoppableSubgraph): Promise<void>;
  start(name: StoppableSubgraph): Promise<void>;
  close(): Promise<void>;
}

const portOf = (url: string) => Number(new URL(url).port);

export async function startLocalPlatform(): Promise<LocalPlatform> {
  // The agent and admin services ask each other: the agent's port is chosen before either starts.
  const agentPort = await freePort();
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const admin = await startSeededTestSubgraph(adminSubgraph, { env: { AGENT_URL: agentUrl } });
  const databaseUrl = admin.database.url;
  // Rolling is asked before every withdrawal; no worker runs here to feed it the wallet's events.
  let rolling: Running;
  try {
    rolling = await startTestSubgraph(rollingSubgraph(loadRollingConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: admin.url })), databaseUrl);
  } catch (error) {
    await admin.close();
    throw error;
  }
  // Promotion and recon, every subgraph of the supergraph answering (the router's /health asks them all).
  let promotion: Running | undefined;
  let recon: Running | undefined;
  const running = new Map<StoppableSubgraph, Running>();
  const ports = new Map<StoppableSubgraph, number>([['agent', agentPort]]);
  const routers: Router[] = [];

  const launch: Record<StoppableSubgraph, (port: number) => Promise<Running>> = {
    agent: (port) => {
      const agentEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: admin.url };
      return startTestSubgraph(agentSubgraph(loadAgentConfig(agentEnv)), databaseUrl, { ...agentEnv, PORT: String(port) });
    },
    player: (port) => startTestSubgraph(playerSubgraph, databaseUrl, { PORT: String(port), AGENT_URL: agentUrl }),
    wallet: (port) =>
      startTestSubgraph(walletSubgraph(loadWalletConfig({ NODE_ENV: 'test', ADMIN_URL: admin.url, ROLLING_URL: rolling.url, AGENT_URL: agentUrl })), databaseUrl, {
        PORT: String(port),
      }),
    game: (port) =>
      startGame(
        loadGameConfig({
          NODE_ENV: 'test',
          LOG_LEVEL: 'silent',
          DATABASE_URL: databaseUrl,
          DATABASE_POOL_SIZE: '4',
          PORT: String(port),
          METRICS_PORT: '0',
          CALLBACK_PORT: '0',
          ADMIN_URL: admin.url,
          PLAYER_URL: running.get('player')!.url,
          WALLET_URL: running.get('wallet')!.url,
          AGENT_URL: agentUrl,
        }),
      ),
  };
  const start = async (name: StoppableSubgraph) => {
    const server = await launch[name](ports.get(name) ?? 0);
    running.set(name, server);
    ports.set(name, portOf(server.url));
  };
  const stop = async (name: StoppableSubgraph) => {
    await running.get(name)?.close();
    running.delete(name);
  };
  const close = async () => {
    for (const router of routers) await router.close();
    await recon?.close();
    await promotion?.close();
    for (const name of ['game', 'wallet', 'player', 'agent'] as const) await stop(name);
    await rolling.close();
    await admin.close();
  };

  try {
    for (const name of ['agent', 'player', 'wallet', 'game'] as const) await start(name);
    const promotionEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: admin.url, WALLET_URL: running.get('wallet')!.url, ROLLING_URL: rolling.url };
    promotion = await startTestSubgraph(promotionSubgraph(loadPromotionConfig(promotionEnv)), databaseUrl, promotionEnv);
    const reconEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: admin.url, WALLET_URL: running.get('wallet')!.url, WEBHOOK_PORT: '0' };
    recon = await startTestSubgraph(reconSubgraph(loadReconConfig(reconEnv)), databaseUrl, reconEnv);
  } catch (error) {
    await close();
    throw error;
  }

  return {
    admin,
    url: (name) => `http://127.0.0.1:${ports.get(name)}`,
    metrics: async (name) => (await fetch(`${running.get(name)!.metricsUrl}/metrics`)).text(),
    start,
    stop,
    close,
    async router({ nodeEnv = 'development', env: overrides = {}, log }: LocalRouterOptions = {}) {
      const subgraphUrl = (port: number | undefined) => `http://127.0.0.1:${port}/graphql`;
      const env = {
        NODE_ENV: nodeEnv,
        LOG_LEVEL: 'silent',
        PORT: '0',
        METRICS_PORT: '0',
        ADMIN_URL: admin.url,
        SUBGRAPH_ADMIN_URL: `${admin.url}/graphql`,
        SUBGRAPH_PLAYER_URL: subgraphUrl(ports.get('player')),
        SUBGRAPH_WALLET_URL: subgraphUrl(ports.get('wallet')),
        SUBGRAPH_GAME_URL: subgraphUrl(ports.get('game')),
        SUBGRAPH_ROLLING_URL: `${rolling.url}/graphql`,
        SUBGRAPH_PROMOTION_URL: `${promotion!.url}/graphql`,
        SUBGRAPH_AGENT_URL: `${agentUrl}/graphql`,
        SUBGRAPH_RECON_URL: `${recon!.url}/graphql`,
        REDIS_URL: baseLocalDefaults.REDIS_URL!,
        // The subgraphs run with the local secrets: the router signs and verifies with the same.
        AUTH_JWT_SECRET: baseLocalDefaults.AUTH_JWT_SECRET!,
        INTERNAL_JWT_SECRET: baseLocalDefaults.INTERNAL_JWT_SECRET!,
        ...overrides,
      };
      const config = loadConfig(routerEnv, { env });
      const router = await createRouter(config, env, log);
      routers.push(router);
      return { router, url: await router.listen() };
    },
  };
}

export interface RouterAnswer<T> {
  status: number;
  requestId: string;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[] };
}

/** POSTs an operation to a router over HTTP, on the demo brand (its host is 127.0.0.1). */
export async function graphql<T = Record<string, any>>(
  routerUrl: string,
  query: string,
  { token, variables }: { token?: string; variables?: Record<string, unknown> } = {},
): Promise<RouterAnswer<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  // A router that never answers fails the test rather than holding it.
  const response = await fetch(`${routerUrl}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: AbortSignal.timeout(15_000) });
  return { status: response.status, requestId: response.headers.get('x-request-id') ?? '', body: (await response.json()) as RouterAnswer<T>['body'] };
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One HTTP request to a router; node:http rather than fetch, which cannot choose the Host header (brands hang on it). */
export function httpRequest(url: string, method: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, timeout: 15_000 }, (response) => {
      let text = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, text }));
    });
    // A router that never answers fails the test rather than holding it.
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer from ${method} ${url} within 15 s`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}
