import type { IncomingHttpHeaders } from 'node:http';
import { ErrorCode } from '@rgb/contracts';
import { LegacyFailure } from './envelope';

/** What a route's input mapping reads of a legacy request. */
export interface LegacyRequest {
  query: Record<string, unknown>;
  /** The parsed JSON body (undefined without one). */
  body: unknown;
  headers: IncomingHttpHeaders;
}

/**
 * One legacy REST route: its input mapped onto the variables of one GraphQL operation, run
 * against the supergraph in the router's process, and the operation's data mapped onto the
 * legacy `data` (snake_case). A mapping refuses with a LegacyFailure.
 */
export interface LegacyRoute<Data = any> {
  method: 'GET' | 'POST';
  path: string;
  operation: string;
  variables(request: LegacyRequest): Record<string, unknown>;
  data(result: Data): object;
}

const badInput = (message: string) => new LegacyFailure(ErrorCode.BAD_USER_INPUT, message);

/**
 * The named fields of a JSON object body, as they came: each is a variable of the same name, so
 * GraphQL's own rules refuse a missing field, a string given as a number, and (the router's
 * money rule) a Money given as a number, naming the legacy field.
 */
function bodyFields(request: LegacyRequest, names: string[]): Record<string, unknown> {
  const { body } = request;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badInput('the body must be a JSON object');
  return Object.fromEntries(names.filter((name) => name in body).map((name) => [name, (body as Record<string, unknown>)[name]]));
}

/** The optional `Idempotency-Key` header: a repeated request with the same key returns the first one's answer. */
const idempotencyKey = (request: LegacyRequest) => ({ idempotency_key: request.headers['idempotency-key'] ?? null });

/** A whole number of the query string within `min..max`; absent or empty: `fallback`. */
function queryNumber(request: LegacyRequest, name: string, { fallback, min, max }: { fallback: number; min: number; max: number }): number {
  const given = request.query[name];
  if (given === undefined || given === '') return fallback;
  const value = typeof given === 'string' && /^\d{1,9}$/.test(given) ? Number(given) : Number.NaN;
  if (!(value >= min && value <= max)) throw badInput(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}
const tokens = ({ accessToken, refreshToken }: Tokens) => ({ access_token: accessToken, refresh_token: refreshToken });

interface WalletView {
  balance: string;
  currency: string;
}

/** `me` is null for an anonymous caller (or one that is not a player): legacy clients get a 401. */
function player<T>(me: T | null): T {
  if (!me) throw new LegacyFailure(ErrorCode.UNAUTHENTICATED, 'authentication required');
  return me;
}

/** `wallet` is null only with a SERVICE_UNAVAILABLE error, which is answered before the data is read. */
function walletOf<T>(me: { wallet: T | null }): T {
  if (!me.wallet) throw new LegacyFailure(ErrorCode.SERVICE_UNAVAILABLE, 'temporarily unavailable; try again later');
  return me.wallet;
}

/**
 * `?page=&size=` as a connection's `first` and `offset`: pages are numbered from 1, 20 entries by
 * default, at most 100; how deep they may go is the answering domain's rule (its offset bound).
 */
function pageOf(request: LegacyRequest): { size: number; offset: number } {
  const page = queryNumber(request, 'page', { fallback: 1, min: 1, max: 999_999_999 });
  const size = queryNumber(request, 'size', { fallback: 20, min: 1, max: 100 });
  return { size, offset: (page - 1) * size };
}

interface Page<Node> {
  totalCount: number;
  edges: { node: Node }[];
}

/** A page as the legacy lists answer it: `items` and `total`. */
const itemsOf = <Node>(page: Page<Node>, item: (node: Node) => object) => ({ items: page.edges.map(({ node }) => item(node)), total: page.totalCount });

interface LedgerEntryView {
  id: string;
  kind: string;
  amount: string;
  balanceAfter: string;
  reference: string;
  createdAt: string;
}

const ledgerItem = (entry: LedgerEntryView) => ({
  id: entry.id,
  kind: entry.kind,
  amount: entry.amount,
  balance_after: entry.balanceAfter,
  reference: entry.reference,
  created_at: entry.createdAt,
});

/** `myAgent` is null for a caller that is not an agent serving the brand: legacy clients get a 401. */
function agent<T>(myAgent: T | null): T {
  if (!myAgent) throw new LegacyFailure(ErrorCode.UNAUTHENTICATED, 'authentication required');
  return myAgent;
}

interface AgentPlayerView {
  id: string;
  username: string;
  nickname: string | null;
  createdAt: string;
  wallet: WalletView | null;
}

interface SubAgentView {
  id: string;
  code: string;
  name: string;
  status: string;
  createdAt: string;
}

interface AgentWithdrawalView {
  id: string;
  amount: string;
  currency: string;
  status: string;
  reason: string | null;
  createdAt: string;
}

/** The legacy REST contract (docs/api/legacy-clients.md), one row per route. */
export const legacyRoutes: LegacyRoute[] = [
  {
    method: 'POST',
    path: '/api/v1/auth/register',
    operation: `mutation LegacyRegister($username: String!, $password: String!, $nickname: String!, $agent_code: String) {
  registerPlayer(input: { username: $username, password: $password, nickname: $nickname, agentCode: $agent_code }) { accessToken refreshToken }
}`,
    variables: (request) => bodyFields(request, ['username', 'password', 'nickname', 'agent_code']),
    data: ({ registerPlayer }: { registerPlayer: Tokens }) => tokens(registerPlayer),
  },
  {
    method: 'POST',
    path: '/api/v1/auth/login',
    operation: `mutation LegacyLogin($username: String!, $password: String!) {
  login(input: { username: $username, password: $password }) { accessToken refreshToken }
}`,
    variables: (request) => bodyFields(request, ['username', 'password']),
    data: ({ login }: { login: Tokens }) => tokens(login),
  },
  {
    method: 'GET',
    path: '/api/v1/member/me',
    operation: 'query LegacyMember { me { id username nickname wallet { balance currency } } }',
    variables: () => ({}),
    data: ({ me }: { me: { id: string; username: string; nickname: string | null; wallet: WalletView | null } | null }) => {
      const member = player(me);
      const { balance, currency } = walletOf(member);
      return { id: member.id, username: member.username, nickname: member.nickname, balance, currency };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/wallet/balance',
    operation: 'query LegacyBalance { me { wallet { balance currency } } }',
    variables: () => ({}),
    data: ({ me }: { me: { wallet: WalletView | null } | null }) => {
      const { balance, currency } = walletOf(player(me));
      return { balance, currency };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/wallet/history',
    operation: `query LegacyHistory($size: Int!, $offset: Int!) {
  me { wallet { transactions(first: $size, offset: $offset) { totalCount edges { node { id kind amount balanceAfter reference createdAt } } } } }
}`,
    variables: pageOf,
    data: ({ me }: { me: { wallet: { transactions: Page<LedgerEntryView> } | null } | null }) => itemsOf(walletOf(player(me)).transactions, ledgerItem),
  },
  {
    method: 'POST',
    path: '/api/v1/deposit',
    operation: `mutation LegacyDeposit($amount: Money!, $depositor_name: String!, $idempotency_key: String) {
  requestDeposit(input: { amount: $amount, depositorName: $depositor_name, idempotencyKey: $idempotency_key }) { id status }
}`,
    variables: (request) => ({ ...bodyFields(request, ['amount', 'depositor_name']), ...idempotencyKey(request) }),
    data: ({ requestDeposit }: { requestDeposit: { id: string; status: string } }) => ({ deposit_id: requestDeposit.id, status: requestDeposit.status }),
  },
  {
    method: 'POST',
    path: '/api/v1/withdraw',
    operation: `mutation LegacyWithdraw($amount: Money!, $idempotency_key: String) {
  requestWithdrawal(input: { amount: $amount, idempotencyKey: $idempotency_key }) { id status }
}`,
    variables: (request) => ({ ...bodyFields(request, ['amount']), ...idempotencyKey(request) }),
    data: ({ requestWithdrawal }: { requestWithdrawal: { id: string; status: string } }) => ({ withdrawal_id: requestWithdrawal.id, status: requestWithdrawal.status }),
  },
  {
    method: 'POST',
    path: '/api/v1/agent/auth/login',
    operation: `mutation LegacyAgentLogin($username: String!, $password: String!) {
  agentLogin(input: { username: $username, password: $password }) { accessToken refreshToken }
}`,
    variables: (request) => bodyFields(request, ['username', 'password']),
    data: ({ agentLogin }: { agentLogin: Tokens }) => tokens(agentLogin),
  },
  {
    method: 'GET',
    path: '/api/v1/agent/me',
    operation: 'query LegacyAgent { myAgent { id code name status commissionRateBps wallet { balance currency } } }',
    variables: () => ({}),
    data: ({ myAgent }: { myAgent: (SubAgentView & { commissionRateBps: number; wallet: WalletView | null }) | null }) => {
      const me = agent(myAgent);
      const { balance, currency } = walletOf(me);
      return { id: me.id, code: me.code, name: me.name, status: me.status, commission_rate_bps: me.commissionRateBps, balance, currency };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/agent/wallet/history',
    operation: `query LegacyAgentHistory($size: Int!, $offset: Int!) {
  myAgent { wallet { transactions(first: $size, offset: $offset) { totalCount edges { node { id kind amount balanceAfter reference createdAt } } } } }
}`,
    variables: pageOf,
    data: ({ myAgent }: { myAgent: { wallet: { transactions: Page<LedgerEntryView> } | null } | null }) => itemsOf(walletOf(agent(myAgent)).transactions, ledgerItem),
  },
  {
    method: 'GET',
    path: '/api/v1/agent/players',
    operation: `query LegacyAgentPlayers($size: Int!, $offset: Int!) {
  myAgent { id }
  myPlayers(first: $size, offset: $offset) { totalCount edges { node { id username nickname createdAt wallet { balance currency } } } }
}`,
    variables: pageOf,
    data: ({ myAgent, myPlayers }: { myAgent: { id: string } | null; myPlayers: Page<AgentPlayerView> }) => {
      agent(myAgent);
      return itemsOf(myPlayers, (player) => {
        const { balance, currency } = walletOf(player);
        return { id: player.id, username: player.username, nickname: player.nickname, balance, currency, created_at: player.createdAt };
      });
    },
  },
  {
    method: 'GET',
    path: '/api/v1/agent/sub-agents',
    operation: `query LegacySubAgents($size: Int!, $offset: Int!) {
  myAgent { subAgents(first: $size, offset: $offset) { totalCount edges { node { id code name status createdAt } } } }
}`,
    variables: pageOf,
    data: ({ myAgent }: { myAgent: { subAgents: Page<SubAgentView> } | null }) =>
      itemsOf(agent(myAgent).subAgents, (sub) => ({ id: sub.id, code: sub.code, name: sub.name, status: sub.status, created_at: sub.createdAt })),
  },
  {
    method: 'GET',
    path: '/api/v1/agent/withdrawals',
    operation: `query LegacyAgentWithdrawals($size: Int!, $offset: Int!) {
  myAgent { withdrawals(first: $size, offset: $offset) { totalCount edges { node { id amount currency status reason createdAt } } } }
}`,
    variables: pageOf,
    data: ({ myAgent }: { myAgent: { withdrawals: Page<AgentWithdrawalView> } | null }) =>
      itemsOf(agent(myAgent).withdrawals, (withdrawal) => ({
        withdrawal_id: withdrawal.id,
        amount: withdrawal.amount,
        currency: withdrawal.currency,
        status: withdrawal.status,
        reason: withdrawal.reason,
        created_at: withdrawal.createdAt,
      })),
  },
  {
    method: 'POST',
    path: '/api/v1/agent/withdraw',
    operation: `mutation LegacyAgentWithdraw($amount: Money!, $idempotency_key: String) {
  requestAgentWithdrawal(input: { amount: $amount, idempotencyKey: $idempotency_key }) { id status }
}`,
    variables: (request) => ({ ...bodyFields(request, ['amount']), ...idempotencyKey(request) }),
    data: ({ requestAgentWithdrawal }: { requestAgentWithdrawal: { id: string; status: string } }) => ({
      withdrawal_id: requestAgentWithdrawal.id,
      status: requestAgentWithdrawal.status,
    }),
  },
];
