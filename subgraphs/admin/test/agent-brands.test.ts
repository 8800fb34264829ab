/**
 * The agent allow-list's staff surface on the admin subgraph: staff allow and disallow an agent
 * on the brands in their scope, each change audited and announced to the agent domain, and the
 * internal route and `Agent.brands` answer the list; the agent subgraph beside it says which
 * agents exist. Real PostgreSQL and Redis.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Permission } from '@rgb/contracts';
import { AGENT_BRANDS_CHANGED_CHANNEL, createLogger, type ForwardedContext } from '@rgb/kit';
import {
  anonymous,
  firstError,
  freePort,
  type SeededTestSubgraph,
  signedIn,
  startSeededTestSubgraph,
  startTestSubgraph,
  staffWith,
  type TestSubgraph,
  waitFor,
} from '@rgb/kit/testing';
// The agent domain owns the agents admin asks about (a package dependency would be circular: agent's tests run admin).
import { agentSubgraph, loadAgentConfig } from '../../agent/src/index';
import { DEMO_AGENT } from '../../../prisma/seed';
import { adminSubgraph } from '../src/index';
import { announce } from '../src/notices';

const MANAGE: Permission[] = ['agents.read', 'agent_brands.manage'];

let server: SeededTestSubgraph;
let agentService: TestSubgraph | undefined;
let notices: Redis;
const noticed: string[] = [];
/** Staff of every brand, and staff of the demo brand only, both allowed to read agents and manage their brands. */
let everyBrandId: string;
let everyBrand: ForwardedContext;
let demoOnlyId: string;
let demoOnly: ForwardedContext;

beforeAll(async () => {
  const agentPort = await freePort();
  server = await startSeededTestSubgraph(adminSubgraph, { env: { AGENT_URL: `http://127.0.0.1:${agentPort}` } });
  const agentEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', ADMIN_URL: server.url, PORT: String(agentPort) };
  agentService = await startTestSubgraph(agentSubgraph(loadAgentConfig(agentEnv)), server.database.url, agentEnv);
  const { prisma } = server.deps;
  everyBrandId = (await prisma.staff.create({ data: { username: `all_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true } })).id;
  demoOnlyId = (
    await prisma.staff.create({
      data: { username: `demo_${randomUUID().slice(0, 8)}`, passwordHash: 'x', brands: { create: { brandId: server.brands.demo.id } } },
    })
  ).id;
  everyBrand = staffWith(server.brands.demo, everyBrandId, MANAGE, { allBrands: true });
  demoOnly = staffWith(server.brands.demo, demoOnlyId, MANAGE);
  notices = new Redis(server.deps.config.REDIS_URL);
  notices.on('message', (_channel: string, message: string) => noticed.push(message));
  await notices.subscribe(AGENT_BRANDS_CHANGED_CHANNEL);
});
afterAll(async () => {
  await notices?.quit();
  await agentService?.close();
  await server?.close();
});

interface AgentAnswer {
  id: string;
  brands: { code: string }[];
}

const ALLOW = `mutation ($agentId: ID!, $brandId: ID!) { allowAgentBrand(agentId: $agentId, brandId: $brandId) { id brands { code } } }`;
const DISALLOW = `mutation ($agentId: ID!, $brandId: ID!) { disallowAgentBrand(agentId: $agentId, brandId: $brandId) { id brands { code } } }`;
const AGENTS = `query ($r: [_Any!]!) { _entities(representations: $r) { ... on Agent { id brands { id code } } } }`;

const allow = (agentId: string, brandId: string, as = everyBrand) => server.graphql<{ allowAgentBrand: AgentAnswer }>(ALLOW, { agentId, brandId }, as);
const disallow = (agentId: string, brandId: string, as = everyBrand) => server.graphql<{ disallowAgentBrand: AgentAnswer }>(DISALLOW, { agentId, brandId }, as);
const agents = (ids: string[], as: ForwardedContext) =>
  server.graphql<{ _entities: { id: string; brands: { id: string; code: string }[] }[] }>(AGENTS, { r: ids.map((id) => ({ __typename: 'Agent', id })) }, as);

const auditOf = (agentId: string) => server.deps.prisma.auditLog.findMany({ where: { targetType: 'agent', targetId: agentId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
const rowsOf = (agentId: string) => server.deps.prisma.agentBrand.findMany({ where: { agentId }, orderBy: { brandId: 'asc' } });
const noticesOf = (agentId: string) => noticed.filter((message) => message === agentId).length;
const sorted = (ids: string[]) => [...ids].sort();

/** What GET /internal/agents/{id}/brands answers a service. */
async function routeBrands(agentId: string): Promise<string[]> {
  const response = await fetch(`${server.url}/internal/agents/${agentId}/brands`, {
    headers: { authorization: `Bearer ${await server.deps.serviceTokens.signService('test')}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { brand_ids: string[] }).brand_ids;
}

/** A new agent, as the agent domain holds it, on no brand yet. */
async function newAgentId(): Promise<string> {
  const code = `ADM_${randomUUID().slice(0, 8).toUpperCase()}`;
  return (await server.deps.prisma.agent.create({ data: { code, name: code, passwordHash: 'x', path: '/', commissionRateBps: 0 } })).id;
}

/** An agent allowed on `brandIds` by the staff member of every brand. */
async function agentOn(...brandIds: string[]): Promise<string> {
  const agentId = await newAgentId();
  for (const brandId of brandIds) expect(firstError(await allow(agentId, brandId))).toBeUndefined();
  return agentId;
}

describe('allowAgentBrand and disallowAgentBrand', () => {
  it('allow the agent on a brand and take it back, each audited with the list before and after and announced, the route answering the list', async () => {
    const { acme, demo } = server.brands;
    const agentId = await newAgentId();

    const allowed = await allow(agentId, acme.id);
    expect(allowed.body).toEqual({ data: { allowAgentBrand: { id: agentId, brands: [{ code: 'acme' }] } } });
    expect(await routeBrands(agentId)).toEqual([acme.id]);
    await waitFor('the allow notice', () => noticesOf(agentId) === 1);
    expect(await rowsOf(agentId)).toEqual([expect.objectContaining({ brandId: acme.id, grantedBy: everyBrandId })]);

    expect((await allow(agentId, demo.id)).body.data?.allowAgentBrand.brands).toEqual([{ code: 'acme' }, { code: 'demo' }]);
    const disallowed = await disallow(agentId, acme.id);
    expect(disallowed.body).toEqual({ data: { disallowAgentBrand: { id: agentId, brands: [{ code: 'demo' }] } } });
    expect(await routeBrands(agentId)).toEqual([demo.id]);
    await waitFor('the three notices', () => noticesOf(agentId) === 3);

    const entry = { staffId: everyBrandId, brandId: demo.id, targetType: 'agent', targetId: agentId, reason: null, requestId: expect.any(String) };
    expect(await auditOf(agentId)).toEqual([
      expect.objectContaining({ ...entry, action: 'agent_brand.allow', before: { brandIds: [] }, after: { brandIds: [acme.id] } }),
      expect.objectContaining({ ...entry, action: 'agent_brand.allow', before: { brandIds: [acme.id] }, after: { brandIds: sorted([acme.id, demo.id]) } }),
      expect.objectContaining({ ...entry, action: 'agent_brand.disallow', before: { brandIds: sorted([acme.id, demo.id]) }, after: { brandIds: [demo.id] } }),
    ]);
  });

  it('change, audit and announce nothing for an agent already so, answering it as it is', async () => {
    const { acme, demo } = server.brands;
    const agentId = await agentOn(acme.id);
    const [allowAudit] = await auditOf(agentId);

    expect((await allow(agentId, acme.id)).body).toEqual({ data: { allowAgentBrand: { id: agentId, brands: [{ code: 'acme' }] } } });
    expect((await disallow(agentId, demo.id)).body).toEqual({ data: { disallowAgentBrand: { id: agentId, brands: [{ code: 'acme' }] } } });

    expect(await auditOf(agentId)).toEqual([allowAudit]);
    expect(await rowsOf(agentId)).toEqual([expect.objectContaining({ brandId: acme.id })]);
    // Notices come in the order they were sent: once another agent's, sent after, is seen, any of these would have been too.
    const witness = await agentOn(demo.id);
    await waitFor("the later agent's notice", () => noticesOf(witness) === 1);
    expect(noticesOf(agentId)).toBe(1);
  });

  it('serialize concurrent changes of one agent: each audit row starts from the list the one before left', async () => {
    const { acme, demo } = server.brands;
    const agentId = await newAgentId();
    const answers = await Promise.all(Array.from({ length: 12 }, (_, index) => allow(agentId, index % 2 === 0 ? acme.id : demo.id)));
    for (const answer of answers) expect(firstError(answer)).toBeUndefined();

    expect((await rowsOf(agentId)).map(({ brandId }) => brandId)).toEqual(sorted([acme.id, demo.id]));
    const audit = await auditOf(agentId);
    expect(audit).toHaveLength(2);
    const first = audit.find(({ before }) => (before as { brandIds: string[] }).brandIds.length === 0)!;
    const second = audit.find((entry) => entry !== first)!;
    expect(second.before).toEqual(first.after);
    expect(second.after).toEqual({ brandIds: sorted([acme.id, demo.id]) });
  });

  describe('refused, changing nothing', () => {
    let agentId: string;
    beforeAll(async () => {
      agentId = await agentOn(server.brands.acme.id);
    });

    const unknownBrand = randomUUID();
    it.each([
      ['staff without agent_brands.manage', () => allow(agentId, server.brands.demo.id, staffWith(server.brands.demo, everyBrandId, ['agents.read'], { allBrands: true })), 'FORBIDDEN'],
      ['staff without agent_brands.manage, bad input or not', () => allow('not-an-id', 'acme', staffWith(server.brands.demo, everyBrandId, [], { allBrands: true })), 'FORBIDDEN'],
      ['a player', () => allow(agentId, server.brands.demo.id, signedIn(server.brands.demo, 'player', randomUUID())), 'FORBIDDEN'],
      ['an agent', () => allow(agentId, server.brands.demo.id, signedIn(server.brands.demo, 'agent', agentId)), 'FORBIDDEN'],
      ['an anonymous caller', () => allow(agentId, server.brands.demo.id, anonymous(server.brands.demo)), 'UNAUTHENTICATED'],
      ['staff allowing a brand outside their scope', () => allow(agentId, server.brands.acme.id, demoOnly), 'FORBIDDEN'],
      ['staff disallowing a brand outside their scope', () => disallow(agentId, server.brands.acme.id, demoOnly), 'FORBIDDEN'],
      ['staff of one brand naming a brand that does not exist', () => allow(agentId, unknownBrand, demoOnly), 'FORBIDDEN'],
      ['a brand that does not exist', () => allow(agentId, unknownBrand), 'NOT_FOUND'],
      ['an agent id that is not a uuid', () => allow('AG1', server.brands.demo.id), 'BAD_USER_INPUT'],
      ['a brand id that is not a uuid', () => disallow(agentId, 'acme'), 'BAD_USER_INPUT'],
    ])('for %s with %s', async (_who, attempt, code) => {
      const rows = await rowsOf(agentId);
      const audit = await auditOf(agentId);
      expect(firstError(await attempt())?.code).toBe(code);
      expect(await rowsOf(agentId)).toEqual(rows);
      expect(await auditOf(agentId)).toEqual(audit);
      expect(await routeBrands(agentId)).toEqual([server.brands.acme.id]);
    });

    it('for an agent that does not exist with NOT_FOUND', async () => {
      const unknown = randomUUID();
      expect(firstError(await allow(unknown, server.brands.demo.id))?.code).toBe('NOT_FOUND');
      expect(await rowsOf(unknown)).toEqual([]);
      expect(await auditOf(unknown)).toEqual([]);
    });

    it('for a disabled staff member with UNAUTHENTICATED', async () => {
      const { prisma } = server.deps;
      const disabledId = (await prisma.staff.create({ data: { username: `off_${randomUUID().slice(0, 8)}`, passwordHash: 'x', allBrands: true, status: 'DISABLED' } })).id;
      const answer = await disallow(agentId, server.brands.acme.id, staffWith(server.brands.demo, disabledId, MANAGE, { allBrands: true }));
      expect(firstError(answer)?.code).toBe('UNAUTHENTICATED');
      expect(await routeBrands(agentId)).toEqual([server.brands.acme.id]);
    });
  });
});

describe('_entities(Agent).brands', () => {
  it("answers each agent's brands by code, of those in the caller's scope; none for an agent without rows or an id that names none", async () => {
    const { acme, demo } = server.brands;
    const both = await agentOn(demo.id, acme.id);
    const acmeOnly = await agentOn(acme.id);
    const ids = [both, acmeOnly, DEMO_AGENT.id, randomUUID(), 'AG1'];
    const brand = (ref: typeof acme) => ({ id: ref.id, code: ref.code });

    expect((await agents(ids, everyBrand)).body).toEqual({
      data: {
        _entities: [
          { id: both, brands: [brand(acme), brand(demo)] },
          { id: acmeOnly, brands: [brand(acme)] },
          { id: DEMO_AGENT.id, brands: [brand(demo)] },
          { id: ids[3], brands: [] },
          { id: 'AG1', brands: [] },
        ],
      },
    });
    expect((await agents(ids.slice(0, 3), demoOnly)).body.data?._entities).toEqual([
      { id: both, brands: [brand(demo)] },
      { id: acmeOnly, brands: [] },
      { id: DEMO_AGENT.id, brands: [brand(demo)] },
    ]);
  });

  it('is FORBIDDEN without agents.read, to staff who may manage the list alone and to the agent itself', async () => {
    const managerOnly = staffWith(server.brands.demo, everyBrandId, ['agent_brands.manage'], { allBrands: true });
    expect(firstError(await agents([DEMO_AGENT.id], managerOnly))).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the agents.read permission' });
    expect(firstError(await agents([DEMO_AGENT.id], signedIn(server.brands.demo, 'agent', DEMO_AGENT.id)))?.code).toBe('FORBIDDEN');
  });
});

describe('a change notice that cannot be sent', () => {
  it('is logged as an error naming the channel, the agent and when the agent domain sees the change anyway', async () => {
    const lines: string[] = [];
    const log = createLogger('admin', 'info', { write: (line: string) => lines.push(line) });
    const closed = new Redis(server.deps.config.REDIS_URL, { lazyConnect: true, enableOfflineQueue: false });
    const agentId = randomUUID();
    await announce(closed, log, { channel: AGENT_BRANDS_CHANGED_CHANNEL, message: agentId, otherwise: 'the agent domain sees it when its cached allow-list expires' });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      channel: AGENT_BRANDS_CHANGED_CHANNEL,
      message: agentId,
      err: expect.objectContaining({ message: expect.any(String) }),
      msg: 'change notice not sent; the agent domain sees it when its cached allow-list expires',
    });
  });
});

describe('allowing while the agent domain is down', () => {
  it('is refused with SERVICE_UNAVAILABLE, writing nothing', async () => {
    const agentId = await newAgentId();
    await agentService!.close();
    agentService = undefined;
    expect(firstError(await allow(agentId, server.brands.demo.id))?.code).toBe('SERVICE_UNAVAILABLE');
    expect(await rowsOf(agentId)).toEqual([]);
    expect(await auditOf(agentId)).toEqual([]);
  });
});
