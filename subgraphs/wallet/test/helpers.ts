/**
 * What the wallet tests share: a seeded wallet subgraph beside the real admin subgraph it reads
 * the brands' limits from and the real rolling subgraph it asks before every withdrawal, the
 * GraphQL operations, callers of the internal HTTP API, and the one closing check of every test
 * that moves money (`expectBooks`).
 */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { adminSubgraph } from '@rgb/admin';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { signedIn, startSeededTestSubgraph, startTestSubgraph, type GraphQLResponse, type SeededTestSubgraph, type TestSubgraph } from '@rgb/kit/testing';
import { loadRollingConfig, rollingSubgraph } from '@rgb/rolling';
import { loadWalletConfig, walletSubgraph } from '../src/index';
import { findLedgerMismatches } from '../src/reconciliation';

export interface WalletTestServer extends SeededTestSubgraph {
  /** The admin subgraph the wallet reads the brands' configs (limits) from, on the same database. */
  admin: SeededTestSubgraph;
  /** The rolling subgraph the wallet asks before every withdrawal, on the same database. */
  rolling: TestSubgraph;
}

/** A wallet subgraph on `databaseUrl`; `env` adds to its configuration (ADMIN_URL, ROLLING_URL, ROLLING_RESPONSE_TIMEOUT_MS). */
export const startWalletOn = (databaseUrl: string, env: NodeJS.ProcessEnv): Promise<TestSubgraph> =>
  startTestSubgraph(walletSubgraph(loadWalletConfig({ NODE_ENV: 'test', ...env })), databaseUrl, env);

/**
 * The admin subgraph on a seeded database of its own and, on the same database, the rolling
 * subgraph and the wallet reading the one and asking the other (`env` adds to the wallet's
 * configuration); `close()` closes all three and drops the database.
 */
export async function startWallet(env: NodeJS.ProcessEnv = {}): Promise<WalletTestServer> {
  const admin = await startSeededTestSubgraph(adminSubgraph);
  const started: TestSubgraph[] = [];
  const close = async () => {
    for (const server of started.reverse()) await server.close();
    await admin.close();
  };
  try {
    const rolling = await startTestSubgraph(rollingSubgraph(loadRollingConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: admin.url })), admin.database.url);
    started.push(rolling);
    const wallet = await startWalletOn(admin.database.url, { ADMIN_URL: admin.url, ROLLING_URL: rolling.url, ...env });
    started.push(wallet);
    return { ...wallet, database: admin.database, brands: admin.brands, admin, rolling, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Records the player's approved deposits as processed, without requirements, as rolling_worker
 * does for a brand whose deposits carry none: tests that withdraw after deposits run no worker.
 */
export async function processedByRolling(server: SeededTestSubgraph, brand: BrandRef, player: string): Promise<void> {
  const deposits = await server.deps.prisma.depositRequest.findMany({ where: { brandId: brand.id, playerId: player, status: 'APPROVED' } });
  await server.deps.prisma.processedDeposit.createMany({
    data: deposits.map((deposit) => ({ depositRequestId: deposit.id, brandId: brand.id, playerId: player })),
    skipDuplicates: true,
  });
}

export const asPlayer = (brand: BrandRef, id: string): ForwardedContext => signedIn(brand, 'player', id);
export const asStaff = (brand: BrandRef): ForwardedContext => signedIn(brand, 'staff', randomUUID());

// --- GraphQL operations --------------------------------------------------------------------

const DEPOSIT_FIELDS = 'id amount status depositorName reason decidedAt player { id }';
const WITHDRAWAL_FIELDS = 'id amount status reason decidedAt paidAt player { id }';

export const REQUEST_DEPOSIT = `mutation ($input: DepositInput!) { requestDeposit(input: $input) { ${DEPOSIT_FIELDS} } }`;
export const APPROVE_DEPOSIT = `mutation ($id: ID!) { approveDeposit(id: $id) { ${DEPOSIT_FIELDS} } }`;
export const DECLINE_DEPOSIT = `mutation ($id: ID!, $reason: String) { declineDeposit(id: $id, reason: $reason) { ${DEPOSIT_FIELDS} } }`;
export const REQUEST_WITHDRAWAL = `mutation ($input: WithdrawalInput!) { requestWithdrawal(input: $input) { ${WITHDRAWAL_FIELDS} } }`;
export const APPROVE_WITHDRAWAL = `mutation ($id: ID!) { approveWithdrawal(id: $id) { ${WITHDRAWAL_FIELDS} } }`;
export const DECLINE_WITHDRAWAL = `mutation ($id: ID!, $reason: String) { declineWithdrawal(id: $id, reason: $reason) { ${WITHDRAWAL_FIELDS} } }`;
export const MARK_WITHDRAWAL_PAID = `mutation ($id: ID!) { markWithdrawalPaid(id: $id) { ${WITHDRAWAL_FIELDS} } }`;
export const ADJUST_BALANCE = `mutation ($input: AdjustBalanceInput!) { adjustBalance(input: $input) { id kind amount balanceAfter reference reason } }`;
export const DEPOSIT_REQUESTS = `query ($status: RequestStatus) { depositRequests(status: $status, first: 100) { totalCount edges { node { id status } } } }`;
export const WITHDRAWAL_REQUESTS = `query ($status: RequestStatus) { withdrawalRequests(status: $status, first: 100) { totalCount edges { node { id status } } } }`;

export interface DepositView {
  id: string;
  amount: string;
  status: string;
  depositorName: string;
  reason: string | null;
  decidedAt: string | null;
  player: { id: string };
}
export interface WithdrawalView {
  id: string;
  amount: string;
  status: string;
  reason: string | null;
  decidedAt: string | null;
  paidAt: string | null;
  player: { id: string };
}

/** The error of a response that must have failed: its code and the facts in its extensions. */
export function errorOf(response: GraphQLResponse<unknown>): { code: string | undefined; extensions: Record<string, unknown> } {
  const error = response.body.errors?.[0];
  if (!error) throw new Error(`expected an error, got ${JSON.stringify(response.body)}`);
  return { code: error.extensions?.code, extensions: (error.extensions ?? {}) as Record<string, unknown> };
}

/** The data of a response that must have succeeded. */
export function dataOf<T>(response: GraphQLResponse<T>): T {
  if (response.body.errors?.length || !response.body.data) throw new Error(`expected data, got ${JSON.stringify(response.body)}`);
  return response.body.data;
}

// --- The internal HTTP API -----------------------------------------------------------------

export interface InternalResponse {
  status: number;
  /** The JSON answer, read field by field in the tests. */
  body: any;
}

/** POSTs (or GETs, without a body) to `/internal/wallet/<path>` over real HTTP. */
export async function internalCall(
  server: SeededTestSubgraph,
  path: string,
  body?: unknown,
  { authorization }: { authorization?: string | null } = {},
): Promise<InternalResponse> {
  const headers: Record<string, string> = {};
  if (authorization) headers.authorization = authorization;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}/internal/wallet/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A caller of the internal API holding a service token (as the game service would). */
export async function serviceClient(server: SeededTestSubgraph, service = 'game') {
  const authorization = `Bearer ${await server.deps.serviceTokens.signService(service)}`;
  return (path: string, body?: unknown) => internalCall(server, path, body, { authorization });
}
export type ServiceClient = Awaited<ReturnType<typeof serviceClient>>;

export const brandBody = (brand: BrandRef) => ({ id: brand.id, code: brand.code, currency: brand.currency });

export interface ProviderFields {
  brand: BrandRef;
  player: string;
  tx: string;
  round?: string;
  amount?: bigint | string;
  reference?: string | null;
  provider?: string;
  game?: string;
  category?: string;
}

/** The snake_case body of a `/bets`, `/wins` or `/rollbacks` call. */
export function providerBody({ brand, player, tx, round = 'round-1', amount, reference, provider = 'demo', game = 'demo-slot', category = 'slots' }: ProviderFields) {
  return {
    brand: brandBody(brand),
    player_id: player,
    provider_code: provider,
    transaction_id: tx,
    round_id: round,
    game_code: game,
    game_category: category,
    ...(amount === undefined ? {} : { amount_minor: amount.toString() }),
    ...(reference === undefined ? {} : { reference_transaction_id: reference }),
  };
}

/** Credits `minor` to a player through an adjustment (a real ledger movement), for a test's starting balance. */
export async function fund(call: ServiceClient, brand: BrandRef, player: string, minor: bigint): Promise<void> {
  const response = await call('adjustments', {
    brand: brandBody(brand),
    player_id: player,
    key: `fund-${randomUUID()}`,
    reference: 'test funding',
    caused_by: 'service:test',
    reason: 'test funding',
    amount_minor: minor.toString(),
  });
  if (response.status !== 200) throw new Error(`funding failed: ${JSON.stringify(response.body)}`);
}

/** How many withdrawal checks the wallet asked of rolling with `outcome` (its `wallet_withdrawal_checks_total`). */
export async function checksCounted(wallet: TestSubgraph, outcome: 'allowed' | 'held' | 'failed'): Promise<number> {
  const metric = await wallet.deps.metrics.registry.getSingleMetric('wallet_withdrawal_checks_total')!.get();
  return metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

// --- Reading the database ------------------------------------------------------------------

/** The player's stored balance in minor units (null without an account). */
export async function storedBalance(server: SeededTestSubgraph, player: string): Promise<bigint | null> {
  const account = await server.deps.prisma.walletAccount.findUnique({ where: { playerId: player } });
  return account?.balance ?? null;
}

/** Ledger entries of a command key (`deposit.approve:<id>`, `bet:demo:<tx>`...). */
export const entriesOf = (server: SeededTestSubgraph, commandKey: string) =>
  server.deps.prisma.ledgerEntry.findMany({ where: { commandKey } });

/** Outbox rows of an event type, optionally of one aggregate. */
export const outboxRows = (server: SeededTestSubgraph, eventType: string, aggregateId?: string) =>
  server.deps.prisma.walletOutbox.findMany({
    where: { eventType, ...(aggregateId ? { envelope: { path: ['aggregate_id'], equals: aggregateId } } : {}) },
    orderBy: { id: 'asc' },
  });

/** Row counts of everything a command may write: a refused command leaves all of them unchanged. */
export async function writeCounts(server: SeededTestSubgraph) {
  const prisma = server.deps.prisma;
  const [accounts, entries, deposits, withdrawals, providerTransactions, outbox] = await Promise.all([
    prisma.walletAccount.count(),
    prisma.ledgerEntry.count(),
    prisma.depositRequest.count(),
    prisma.withdrawalRequest.count(),
    prisma.providerTransaction.count(),
    prisma.walletOutbox.count(),
  ]);
  return { accounts, entries, deposits, withdrawals, providerTransactions, outbox };
}

/**
 * The closing check of every test that moves money: no account anywhere differs from the sum
 * of its ledger (or is negative), and each named player holds exactly the expected balance
 * (minor units; null: the player has no account at all).
 */
export async function expectBooks(server: SeededTestSubgraph, expected: Record<string, bigint | null>): Promise<void> {
  expect(await findLedgerMismatches(server.deps.prisma)).toEqual([]);
  const actual: Record<string, bigint | null> = {};
  for (const player of Object.keys(expected)) actual[player] = await storedBalance(server, player);
  expect(actual).toEqual(expected);
}

/** The agent's stored balance on the brand in minor units (null without an account there). */
export async function storedAgentBalance(server: SeededTestSubgraph, agent: string, brand: BrandRef): Promise<bigint | null> {
  const account = await server.deps.prisma.walletAccount.findUnique({ where: { agentId_brandId: { agentId: agent, brandId: brand.id } } });
  return account?.balance ?? null;
}
