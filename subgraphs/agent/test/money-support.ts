/**
 * What the tests of agents' money share: GraphQL operations, an agent funded by a staff
 * adjustment, the books checked (every ledger agrees with its balance, and each agent holds what
 * it should), and the agent outbox's events.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type EventPayload, formatMoney } from '@rgb/contracts';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { signedIn } from '@rgb/kit/testing';
import { expect } from 'vitest';
import { expectBooks } from '../../wallet/test/helpers';
import type { AgentPlatform } from './support';

export const WITHDRAWAL_FIELDS = 'id amount currency status reason createdAt decidedAt agent { id }';
export const REQUEST_WITHDRAWAL = `mutation ($input: RequestAgentWithdrawalInput!) { requestAgentWithdrawal(input: $input) { ${WITHDRAWAL_FIELDS} } }`;
export const APPROVE = `mutation ($id: ID!) { approveAgentWithdrawal(id: $id) { ${WITHDRAWAL_FIELDS} } }`;
export const DECLINE = `mutation ($id: ID!, $reason: String!) { declineAgentWithdrawal(id: $id, reason: $reason) { ${WITHDRAWAL_FIELDS} } }`;
export const MARK_PAID = `mutation ($id: ID!) { markAgentWithdrawalPaid(id: $id) { ${WITHDRAWAL_FIELDS} } }`;
export const DECLINE_PAY = `mutation ($id: ID!, $reason: String!) { declineAgentWithdrawalPay(id: $id, reason: $reason) { ${WITHDRAWAL_FIELDS} } }`;
export const GRANT_FIELDS = 'id amount currency status code rollingMultiplierBps validUntil createdAt player { id }';
export const GRANT = `mutation ($input: GrantAgentCouponInput!) { grantAgentCoupon(input: $input) { ${GRANT_FIELDS} } }`;
export const RECYCLE = `mutation ($id: ID!) { recycleAgentCoupon(id: $id) { ${GRANT_FIELDS} } }`;
export const RETRY_CALL = 'mutation ($id: ID!) { retryAgentOutgoingCall(id: $id) { id status attempts } }';
export const ADJUST = 'mutation ($input: AdjustAgentBalanceInput!) { adjustAgentBalance(input: $input) { id amount currency reason status createdAt } }';

export type Row = Record<string, unknown> & { id: string; status: string };

export const asAgent = (agent: { id: string }, brand: BrandRef): ForwardedContext => signedIn(brand, 'agent', agent.id);

/** Credits the agent's account on `brand` with `amount` (a staff adjustment). */
export async function fund(platform: AgentPlatform, agent: { id: string }, amount: string, brand: BrandRef = platform.brands.demo): Promise<void> {
  const answer = await platform.agent.graphql<{ adjustAgentBalance: Row }>(ADJUST, { input: { agentId: agent.id, amount, reason: 'opening balance' } }, platform.staff(brand));
  expect(answer.body.data?.adjustAgentBalance.status, JSON.stringify(answer.body.errors)).toBe('APPLIED');
}

/** The agent's stored balance on the brand, in minor units (null without an account there). */
export async function agentBalance(platform: AgentPlatform, agentId: string, brand: BrandRef = platform.brands.demo): Promise<bigint | null> {
  const account = await platform.prisma.walletAccount.findUnique({ where: { agentId_brandId: { agentId, brandId: brand.id } } });
  return account?.balance ?? null;
}

/** Every ledger agrees with its balance, each agent holds exactly `expected` (minor units) on the brand, and each player `players`. */
export async function expectAgentBooks(
  platform: AgentPlatform,
  expected: Record<string, bigint | null>,
  { brand = platform.brands.demo, players = {} }: { brand?: BrandRef; players?: Record<string, bigint | null> } = {},
): Promise<void> {
  await expectBooks(platform.admin, players);
  const actual: Record<string, bigint | null> = {};
  for (const agentId of Object.keys(expected)) actual[agentId] = await agentBalance(platform, agentId, brand);
  expect(actual).toEqual(expected);
}

/** The events about `aggregateId` in the agent outbox, oldest first: [type, payload]. */
export async function eventsOf(platform: AgentPlatform, aggregateId: string): Promise<[string, Record<string, unknown>][]> {
  const rows = await platform.prisma.agentOutbox.findMany({ orderBy: { id: 'asc' } });
  return rows
    .map((row) => row.envelope as { event_type: string; aggregate_id: string; payload: Record<string, unknown> })
    .filter((envelope) => envelope.aggregate_id === aggregateId)
    .map((envelope) => [envelope.event_type, envelope.payload]);
}

/** The STAFF_ACTION_RECORDED payloads about `targetId` in the agent outbox, oldest first. */
export async function staffActionsOn(platform: AgentPlatform, targetId: string): Promise<EventPayload<'STAFF_ACTION_RECORDED'>[]> {
  const rows = await platform.prisma.agentOutbox.findMany({ where: { eventType: 'STAFF_ACTION_RECORDED' }, orderBy: { id: 'asc' } });
  return rows.map((row) => (row.envelope as { payload: EventPayload<'STAFF_ACTION_RECORDED'> }).payload).filter((action) => action.target_id === targetId);
}

export const usd = (minor: bigint) => formatMoney(minor, 'USD');

/** A service that answers each request `answer(body, request)` (a status and its JSON; null leaves it hanging), keeping the bodies received. */
export interface FakeService {
  url: string;
  bodies: Record<string, unknown>[];
  close(): Promise<void>;
}

export async function fakeService(answer: (body: Record<string, unknown>, request: IncomingMessage) => Promise<[number, unknown] | null>): Promise<FakeService> {
  const bodies: Record<string, unknown>[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => (text += chunk));
    request.on('end', async () => {
      const body = JSON.parse(text) as Record<string, unknown>;
      bodies.push(body);
      const answered = await answer(body, request);
      if (answered) response.writeHead(answered[0], { 'content-type': 'application/json' }).end(JSON.stringify(answered[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bodies,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A refusal on the wire, as a service answers one. */
export const refusal = (code: string, message: string): [number, unknown] => [409, { error: { code, message } }];
