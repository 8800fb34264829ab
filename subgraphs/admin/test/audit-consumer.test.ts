/**
 * admin.audit: admin_worker keeps the STAFF_ACTION_RECORDED events of the other domains' streams
 * in the audit log. Here the rolling domain's (a staff member cancelling a wagering requirement),
 * the agent domain's (a staff member correcting an agent's balance) and the recon domain's (a
 * staff member dismissing a bank text of the review queue): written under the
 * event's id and time, once however often it is delivered, while the stream's other events pass
 * by. Real PostgreSQL and Redis streams.
 */
import { randomUUID } from 'node:crypto';
import { STREAMS } from '@rgb/contracts';
import { type ForwardedContext, loadWorkerConfig, type StartedWorker, startWorker } from '@rgb/kit';
import { isolatedRedisUrl, type SeededTestSubgraph, startSeededTestSubgraph, staffWith } from '@rgb/kit/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminSubgraph, adminWorker } from '../src/index';
import { agentAdjustment, applied, publish, publishTogether, reconText, rollingCancel } from './events';

const AUDIT_LOG = `query ($targetType: String!, $targetId: String!) {
  auditLog(filter: { targetType: $targetType, targetId: $targetId }) { totalCount edges { node { id staffId brandId action targetType targetId before after reason requestId createdAt } } }
}`;

interface AuditEntry {
  id: string;
  staffId: string;
  brandId: string | null;
  action: string;
  targetType: string;
  targetId: string;
  before: string | null;
  after: string | null;
  reason: string | null;
  requestId: string | null;
  createdAt: string;
}

let server: SeededTestSubgraph;
let worker: StartedWorker;
let redis: Redis;
/** The rolling domain's staff member who cancels, reading the audit log of acme, and of demo only. */
let cancellerId: string;
let acmeReader: ForwardedContext;
let demoReader: ForwardedContext;

beforeAll(async () => {
  const redisUrl = await isolatedRedisUrl();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { REDIS_URL: redisUrl } });
  // The admin worker's consumers without its jobs, which play no part here.
  worker = await startWorker(
    { ...adminWorker, jobs: undefined },
    loadWorkerConfig(0, { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: server.database.url, REDIS_URL: redisUrl, DATABASE_POOL_SIZE: '2' }),
  );
  redis = new Redis(redisUrl);
  const { prisma } = server.deps;
  const { acme, demo } = server.brands;
  cancellerId = (await prisma.staff.create({ data: { username: `rolling_${randomUUID().slice(0, 8)}`, passwordHash: 'x', brands: { create: { brandId: acme.id } } } })).id;
  const demoOnlyId = (await prisma.staff.create({ data: { username: `demo_${randomUUID().slice(0, 8)}`, passwordHash: 'x', brands: { create: { brandId: demo.id } } } })).id;
  acmeReader = staffWith(acme, cancellerId, ['audit.read']);
  demoReader = staffWith(demo, demoOnlyId, ['audit.read']);
});
afterAll(async () => {
  redis?.disconnect();
  await worker?.close();
  await server?.close();
});

const auditOf = async (targetId: string, as: ForwardedContext, targetType = 'rolling') => {
  const answer = await server.graphql<{ auditLog: { totalCount: number; edges: { node: AuditEntry }[] } }>(AUDIT_LOG, { targetType, targetId }, as);
  expect(answer.body.errors).toBeUndefined();
  return answer.body.data!.auditLog;
};

/** What admin.audit counted on `stream` with `outcome`. */
async function consumed(outcome: 'applied' | 'duplicate' | 'ignored', stream: string = STREAMS.rolling): Promise<number> {
  const metric = await worker.deps.metrics.registry.getSingleMetric('events_consumed_total')?.get();
  return metric?.values.find(({ labels }) => labels.stream === stream && labels.consumer === 'admin.audit' && labels.outcome === outcome)?.value ?? 0;
}

describe('admin.audit on the rolling stream', () => {
  it("keeps a staff member's cancel of a requirement in the audit log once, under the event's id and time, passing the cancel event itself by", async () => {
    const { acme } = server.brands;
    const cancel = rollingCancel(acme, cancellerId);
    const action = cancel.staffAction();
    await publishTogether(redis, STREAMS.rolling, [cancel.canceled(), action]);
    await applied(server.deps.prisma, 'admin.audit', [action]);

    const { totalCount, edges } = await auditOf(cancel.id, acmeReader);
    expect(totalCount).toBe(1);
    const entry = edges[0]!.node;
    expect({ ...entry, before: JSON.parse(entry.before!), after: JSON.parse(entry.after!) }).toEqual({
      id: action.event_id,
      staffId: cancellerId,
      brandId: acme.id,
      action: 'rolling.cancel',
      targetType: 'rolling',
      targetId: cancel.id,
      before: { status: 'ACTIVE', accrued_minor: '25000' },
      after: { status: 'CANCELED', accrued_minor: '25000', reason: 'bonus abuse' },
      reason: null,
      requestId: action.payload.request_id,
      createdAt: action.occurred_at,
    });
    expect(await consumed('ignored')).toBeGreaterThanOrEqual(1);
    // Staff who see only another brand see nothing of it.
    expect(await auditOf(cancel.id, demoReader)).toMatchObject({ totalCount: 0, edges: [] });
  });

  it('writes a redelivered staff action once', async () => {
    const cancel = rollingCancel(server.brands.acme, cancellerId);
    const action = cancel.staffAction();
    await publish(redis, STREAMS.rolling, action);
    await applied(server.deps.prisma, 'admin.audit', [action]);
    const duplicatesBefore = await consumed('duplicate');

    // The same event again, then another: once the other is applied, the redelivery has been handled.
    const next = rollingCancel(server.brands.acme, cancellerId).staffAction();
    await publish(redis, STREAMS.rolling, action);
    await publish(redis, STREAMS.rolling, next);
    await applied(server.deps.prisma, 'admin.audit', [next]);
    expect(await consumed('duplicate')).toBe(duplicatesBefore + 1);
    expect(await auditOf(cancel.id, acmeReader)).toMatchObject({ totalCount: 1, edges: [{ node: { id: action.event_id } }] });
  });
});

describe('admin.audit on the agent stream', () => {
  it("keeps a staff member's correction of an agent's balance once, under the event's id and time, however often it is delivered", async () => {
    const { acme } = server.brands;
    const adjustment = agentAdjustment(acme, cancellerId);
    const action = adjustment.staffAction();
    await publishTogether(redis, STREAMS.agent, [adjustment.adjusted(), action]);
    await applied(server.deps.prisma, 'admin.audit', [action]);
    const duplicatesBefore = await consumed('duplicate', STREAMS.agent);

    // The same event again, then another: once the other is applied, the redelivery has been handled.
    const next = agentAdjustment(acme, cancellerId).staffAction();
    await publish(redis, STREAMS.agent, action);
    await publish(redis, STREAMS.agent, next);
    await applied(server.deps.prisma, 'admin.audit', [next]);
    expect(await consumed('duplicate', STREAMS.agent)).toBe(duplicatesBefore + 1);
    expect(await consumed('ignored', STREAMS.agent)).toBeGreaterThanOrEqual(1);

    const { totalCount, edges } = await auditOf(adjustment.id, acmeReader, 'agent');
    expect(totalCount).toBe(1);
    const entry = edges[0]!.node;
    expect({ ...entry, before: JSON.parse(entry.before!), after: JSON.parse(entry.after!) }).toEqual({
      id: action.event_id,
      staffId: cancellerId,
      brandId: acme.id,
      action: 'agent_balance.adjust',
      targetType: 'agent',
      targetId: adjustment.id,
      before: { balance_minor: '50000' },
      after: { balance_minor: '40000', reason: 'duplicate coupon' },
      reason: null,
      requestId: action.payload.request_id,
      createdAt: action.occurred_at,
    });
  });
});

describe('admin.audit on the recon stream', () => {
  it("keeps a staff member's dismissal of a bank text once, under the event's id and time, passing the review queue's events by", async () => {
    const { acme } = server.brands;
    const text = reconText(acme);
    const action = text.dismissedBy(cancellerId);
    await publishTogether(redis, STREAMS.recon, [text.reviewOpened(), text.reviewClosed('DISMISSED'), action]);
    await applied(server.deps.prisma, 'admin.audit', [action]);
    const duplicatesBefore = await consumed('duplicate', STREAMS.recon);

    // The same event again, then another: once the other is applied, the redelivery has been handled.
    const next = reconText(acme).dismissedBy(cancellerId);
    await publish(redis, STREAMS.recon, action);
    await publish(redis, STREAMS.recon, next);
    await applied(server.deps.prisma, 'admin.audit', [next]);
    expect(await consumed('duplicate', STREAMS.recon)).toBe(duplicatesBefore + 1);
    expect(await consumed('ignored', STREAMS.recon)).toBeGreaterThanOrEqual(2);

    const { totalCount, edges } = await auditOf(text.id, acmeReader, 'recon_message');
    expect(totalCount).toBe(1);
    const entry = edges[0]!.node;
    expect({ ...entry, before: JSON.parse(entry.before!), after: JSON.parse(entry.after!) }).toEqual({
      id: action.event_id,
      staffId: cancellerId,
      brandId: acme.id,
      action: 'recon_message.dismiss',
      targetType: 'recon_message',
      targetId: text.id,
      before: { status: 'REVIEW', review_reason: 'NO_CANDIDATE' },
      after: { status: 'DISMISSED', reason: 'a transfer between our own accounts' },
      reason: null,
      requestId: action.payload.request_id,
      createdAt: action.occurred_at,
    });
    expect(await auditOf(text.id, demoReader, 'recon_message')).toMatchObject({ totalCount: 0, edges: [] });
  });
});
