import { randomUUID } from 'node:crypto';
import { type Envelope, STREAMS } from '@rgb/contracts';
import { waitFor } from '@rgb/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentPlatform, newAgent, playerRegistered, publishPlayerEvents, startAgentPlatform } from './support';

describe('agent_worker', () => {
  let platform: AgentPlatform;
  beforeAll(async () => {
    platform = await startAgentPlatform();
  });
  afterAll(() => platform?.close());

  it('projects a registration with an agent once, however often it is delivered, and ignores one without', async () => {
    const agent = await newAgent(platform);
    const at = new Date('2026-12-01T10:00:00.000Z');
    const referred = playerRegistered(platform.brands.demo, agent.id, randomUUID(), at);
    const unreferred = playerRegistered(platform.brands.demo, null);
    // The same envelope twice: a redelivery after a publisher crash.
    await publishPlayerEvents(platform, referred, referred, unreferred);
    expect(await platform.prisma.agentPlayer.findMany({ where: { playerId: { in: [referred.payload.player_id, unreferred.payload.player_id] } } })).toEqual([
      { playerId: referred.payload.player_id, brandId: platform.brands.demo.id, agentId: agent.id, registeredAt: at },
    ]);
    expect(await platform.prisma.agentInbox.count({ where: { eventId: { in: [referred.event_id, unreferred.event_id] } } })).toBe(2);
  });

  it('publishes the agent outbox to rgb:stream:agent', async () => {
    const agent = await newAgent(platform);
    const published = await waitFor('the creation on the agent stream', async () => {
      const entries = await platform.redis.xrange(STREAMS.agent, '-', '+');
      return entries.map(([, fields]) => JSON.parse(fields[1]!) as Envelope).find((envelope) => envelope.aggregate_id === agent.id);
    });
    expect(published).toMatchObject({ event_type: 'STAFF_ACTION_RECORDED', brand_id: platform.brands.demo.id, payload: { action: 'agent.create', target_id: agent.id } });
    const health = await fetch(`${platform.worker.url}/health`);
    expect(health.status).toBe(200);
  });

  it('exposes the age of the oldest PENDING call, however many attempts it took', async () => {
    const metric = async () => Number((await (await fetch(`${platform.worker.metricsUrl}/metrics`)).text()).match(/^agent_outgoing_call_oldest_pending_seconds{[^}]*} (\S+)$/m)?.[1]);
    const id = randomUUID();
    const brand = platform.brands.demo;
    await platform.prisma.agentOutgoingCall.create({
      data: {
        id,
        brandId: brand.id,
        kind: 'COUPON_RECYCLE',
        subjectType: 'coupon_grant',
        subjectId: randomUUID(),
        payload: { brand: { id: brand.id, code: brand.code, currency: brand.currency }, grant_id: randomUUID() },
        attempts: 500,
        createdAt: new Date(Date.now() - 3_600_000),
        // Not due while the test reads it.
        nextAttemptAt: new Date(Date.now() + 60_000),
      },
    });
    const age = await metric();
    expect(age).toBeGreaterThanOrEqual(3_600);
    expect(age).toBeLessThan(3_700);
    await platform.prisma.agentOutgoingCall.delete({ where: { id } });
    expect(await metric()).toBe(0);
  });
});
