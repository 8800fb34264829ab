import { agentRoutes, badUserInput, notFound } from '@rgb/contracts';
import type { Prisma, PrismaClient } from '@rgb/db';
import { callOrRefuse, isUuid } from '@rgb/kit';
import { recordAudit } from './audit';
import { actingStaff, assertBrandInScope, authorize, readingStaff, visibleBrands } from './authorization';
import type { BrandRecord } from './brands';
import type { Context } from './context';
import { actorOf } from './staff-accounts';

type Db = PrismaClient | Prisma.TransactionClient;

/** An agent as admin knows it: by id (the agent domain owns the rest). */
export interface AgentRef {
  id: string;
}

/** The brands each of `agentIds` may serve now, in a stable order; none for an agent without rows (or an id that names none). */
export async function brandIdsOfAgents(db: Db, agentIds: readonly string[]): Promise<string[][]> {
  const ids = agentIds.filter(isUuid);
  const rows = ids.length === 0 ? [] : await db.agentBrand.findMany({ where: { agentId: { in: ids } }, select: { agentId: true, brandId: true }, orderBy: { brandId: 'asc' } });
  const byAgent = new Map<string, string[]>();
  for (const { agentId, brandId } of rows) byAgent.set(agentId, [...(byAgent.get(agentId) ?? []), brandId]);
  return agentIds.map((agentId) => byAgent.get(agentId) ?? []);
}

/** The brands an agent may serve now, in a stable order; none for an agent without rows. */
export const agentBrandIds = async (db: Db, agentId: string): Promise<string[]> => (await brandIdsOfAgents(db, [agentId]))[0]!;

/** `Agent.brands`: staff with agents.read see the agent's brands that are in their scope, by code. */
export async function agentBrandsForStaff(context: Context, agentId: string): Promise<BrandRecord[]> {
  const actor = await readingStaff(context, 'agents.read');
  const inScope = visibleBrands(actor);
  const brandIds = (await context.loaders.brandIdsByAgentId.load(agentId)).filter((id) => !inScope || inScope.includes(id));
  const brands = await Promise.all(brandIds.map((id) => context.loaders.brandById.load(id)));
  return brands.filter((brand): brand is BrandRecord => brand !== null).sort((a, b) => a.code.localeCompare(b.code));
}

/**
 * Asks the agent domain, which owns the agents, whether `agentId` names one: NOT_FOUND when it
 * does not, SERVICE_UNAVAILABLE when it cannot be asked (nothing is written unchecked).
 */
async function checkAgentExists({ services, requestId, traceparent, log }: Context, agentId: string): Promise<void> {
  const found = await callOrRefuse(services.agent, agentRoutes.find, { agent_id: agentId }, { requestId, traceparent, log }, 'agents cannot be checked right now; try again shortly');
  if (!found.ok) throw notFound(`no agent ${agentId}`);
}

function checkId(id: string, what: string): void {
  if (!isUuid(id)) throw badUserInput(`${what} ${JSON.stringify(id)} is not an id`);
}

/**
 * Allows the agent on the brand, or disallows it, in one transaction with its audit row (the
 * whole allow-list before and after). The agent's allow-list is locked until the commit, so
 * `before` is what this change replaced; a change that changes nothing writes and announces
 * nothing. After the commit, the agent domain is told.
 */
async function changeAllowList(context: Context, change: 'allow' | 'disallow', agentId: string, brandId: string): Promise<AgentRef> {
  const caller = authorize(context.caller, 'agent_brands.manage');
  checkId(agentId, 'agentId');
  checkId(brandId, 'brandId');
  const allowed = change === 'allow';
  if (allowed) await checkAgentExists(context, agentId);
  const after = await context.prisma.$transaction(async (tx) => {
    assertBrandInScope(await actingStaff(tx, caller, { forChange: true }), brandId);
    if (!(await tx.brand.findUnique({ where: { id: brandId }, select: { id: true } }))) throw notFound(`no brand ${brandId}`);
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`admin.agent_brand:${agentId}`}))`;
    const before = await agentBrandIds(tx, agentId);
    if (before.includes(brandId) === allowed) return null;
    if (allowed) await tx.agentBrand.create({ data: { agentId, brandId, grantedBy: caller.id } });
    else await tx.agentBrand.delete({ where: { agentId_brandId: { agentId, brandId } } });
    const after = await agentBrandIds(tx, agentId);
    await recordAudit(tx, actorOf(context, caller), {
      action: `agent_brand.${change}`,
      targetType: 'agent',
      targetId: agentId,
      before: { brandIds: before },
      after: { brandIds: after },
    });
    return after;
  });
  if (after) {
    context.loaders.brandIdsByAgentId.clear(agentId).prime(agentId, after);
    await context.services.agentBrandsChanged(agentId);
  }
  return { id: agentId };
}

export const allowAgentBrand = (context: Context, agentId: string, brandId: string) => changeAllowList(context, 'allow', agentId, brandId);

export const disallowAgentBrand = (context: Context, agentId: string, brandId: string) => changeAllowList(context, 'disallow', agentId, brandId);
