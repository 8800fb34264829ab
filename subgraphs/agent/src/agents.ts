import { hashPassword, type SessionManager } from '@rgb/auth';
import { badUserInput, conflict, notFound } from '@rgb/contracts';
import { type Agent, type AgentStatus, type Prisma, type PrismaClient, uniqueViolation } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type Connection, connection, decodeCursor, isUuid, NEWEST_FIRST, pageOffset, pageSize, paginate } from '@rgb/kit';
import { pathBelow, inSubtree } from './subtree';
import type { PlayerRef } from './views';

const CODE = /^[A-Za-z0-9_-]{2,32}$/;
const NAME_MAX = 100;
const MAX_COMMISSION_BPS = 10_000;

export interface NewAgent {
  code: string;
  name: string;
  password: string;
  parentId?: string | null;
  commissionRateBps: number;
}

export interface AgentChange {
  name?: string | null;
  status?: AgentStatus | null;
  parentId?: string | null;
  clearParent?: boolean | null;
  commissionRateBps?: number | null;
  password?: string | null;
}

/** What the audit log keeps of an agent (never the password hash). */
const audited = (agent: Agent) => ({
  code: agent.code,
  name: agent.name,
  status: agent.status,
  parent_id: agent.parentId,
  commission_rate_bps: agent.commissionRateBps,
});

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 1 || trimmed.length > NAME_MAX) throw badUserInput(`name must be 1 to ${NAME_MAX} characters`);
  return trimmed;
}

function checkCommission(bps: number): number {
  if (!Number.isInteger(bps) || bps < 0 || bps > MAX_COMMISSION_BPS) throw badUserInput(`commissionRateBps must be an integer from 0 to ${MAX_COMMISSION_BPS}`);
  return bps;
}

async function checkedPasswordHash(password: string): Promise<string> {
  if (password.length < 12 || password.length > 128) throw badUserInput('password must be 12 to 128 characters');
  return hashPassword(password);
}

/**
 * Tree writes (a new agent under a parent, a move) take one lock: two moves running together
 * could otherwise each pass the cycle check and make a loop, and a child created under an agent
 * being moved could keep the old path.
 */
async function lockTree(tx: Prisma.TransactionClient): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('agent.tree'))`;
}

async function parentNamed(tx: Prisma.TransactionClient, parentId: string): Promise<Agent> {
  const parent = isUuid(parentId) ? await tx.agent.findUnique({ where: { id: parentId } }) : null;
  if (!parent) throw badUserInput('parentId names no agent');
  return parent;
}

/** A staff change of agents with its STAFF_ACTION_RECORDED in the agent outbox, in one transaction; a taken code is a CONFLICT. */
async function auditedChange(
  prisma: PrismaClient,
  brandId: string,
  actor: StaffActor,
  change: (tx: OutboxTransaction) => Promise<{ agent: Agent; before: Agent | null; passwordChanged?: boolean }>,
): Promise<Agent> {
  try {
    return await outboxTransaction(prisma, async (tx) => {
      const { agent, before, passwordChanged = false } = await change(tx);
      const after = { ...audited(agent), ...(passwordChanged ? { password_changed: true } : {}) };
      // An update that changed nothing is answered, not audited.
      if (before && JSON.stringify(audited(before)) === JSON.stringify(after)) return agent;
      await recordStaffAction(tx, 'agent.outbox', brandId, actor, {
        action: before ? 'agent.update' : 'agent.create',
        target_type: 'agent',
        target_id: agent.id,
        before: before && audited(before),
        after,
      });
      return agent;
    });
  } catch (error) {
    if (uniqueViolation(error)) throw conflict('an agent with this code exists');
    throw error;
  }
}

/** A new agent, at the top or under `parentId`. `brandId`: the brand the staff member acted through (for the audit). */
export async function createAgent(prisma: PrismaClient, brandId: string, actor: StaffActor, input: NewAgent): Promise<Agent> {
  if (!CODE.test(input.code)) throw badUserInput('code must be 2 to 32 letters, digits, _ or -');
  const name = checkName(input.name);
  const commissionRateBps = checkCommission(input.commissionRateBps);
  const passwordHash = await checkedPasswordHash(input.password);
  return auditedChange(prisma, brandId, actor, async (tx) => {
    await lockTree(tx);
    const parent = input.parentId ? await parentNamed(tx, input.parentId) : null;
    const agent = await tx.agent.create({
      data: { code: input.code.toUpperCase(), name, passwordHash, commissionRateBps, parentId: parent?.id ?? null, path: pathBelow(parent), createdBy: actor.staffId },
    });
    return { agent, before: null };
  });
}

/**
 * Moves `agent` (locked) and its whole subtree under `parent` (the top for null) in one
 * statement; refuses a parent in its own subtree (a loop).
 */
async function move(tx: Prisma.TransactionClient, agent: Agent, parent: Agent | null): Promise<void> {
  if (parent && inSubtree(agent, parent)) throw badUserInput('an agent cannot move under itself or an agent of its subtree');
  const newPath = pathBelow(parent);
  await tx.$executeRaw`
    UPDATE agent.agent
       SET path = ${newPath} || substr(path, length(${agent.path}) + 1),
           parent_id = CASE WHEN id = ${agent.id}::uuid THEN ${parent?.id ?? null}::uuid ELSE parent_id END,
           updated_at = now()
     WHERE id = ${agent.id}::uuid OR path LIKE ${pathBelow(agent)} || '%'`;
}

/**
 * Changes an agent: name, status, commission, password, and its place in the tree (its subtree
 * moves with it). Suspending it or setting its password then ends every session it holds, so its
 * tokens stop at once; doing so again ends them again (a retry after the announcement failed
 * completes). The audit keeps that the password changed, never the password.
 */
export async function updateAgent(prisma: PrismaClient, sessions: SessionManager, brandId: string, actor: StaffActor, id: string, input: AgentChange): Promise<Agent> {
  if (!isUuid(id)) throw notFound('no such agent');
  if (input.parentId && input.clearParent) throw badUserInput('give parentId or clearParent, not both');
  const name = input.name == null ? undefined : checkName(input.name);
  const commissionRateBps = input.commissionRateBps == null ? undefined : checkCommission(input.commissionRateBps);
  const passwordHash = input.password == null ? undefined : await checkedPasswordHash(input.password);
  const moves = input.clearParent === true || input.parentId != null;
  const agent = await auditedChange(prisma, brandId, actor, async (tx) => {
    if (moves) await lockTree(tx);
    const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM agent.agent WHERE id = ${id}::uuid FOR UPDATE`;
    if (!locked) throw notFound('no such agent');
    const before = await tx.agent.findUniqueOrThrow({ where: { id } });
    if (moves) await move(tx, before, input.parentId ? await parentNamed(tx, input.parentId) : null);
    const agent = await tx.agent.update({
      where: { id },
      data: { name, commissionRateBps, passwordHash, ...(input.status ? { status: input.status } : {}) },
    });
    return { agent, before, passwordChanged: passwordHash !== undefined };
  });
  // A suspension or a new password (a reset after a leak) ends every session the agent holds.
  if (agent.status === 'SUSPENDED' || passwordHash !== undefined) await sessions.revokeAll(agent.id);
  return agent;
}

/** Agents, newest first. */
export function listAgents(
  prisma: PrismaClient,
  filter: { status?: AgentStatus | null; parentId?: string | null },
  page: { first?: number | null; after?: string | null; offset?: number | null },
): Promise<Connection<Agent>> {
  if (filter.parentId && !isUuid(filter.parentId)) throw badUserInput('parentId must be a UUID');
  const where = { ...(filter.status ? { status: filter.status } : {}), ...(filter.parentId ? { parentId: filter.parentId } : {}) };
  return paginate(
    page,
    (position, take, skip) => prisma.agent.findMany({ where: { ...where, ...position }, orderBy: NEWEST_FIRST, take, skip }),
    () => prisma.agent.count({ where }),
  );
}

/** The players `agentId` referred itself on `brandId`, newest registration first. */
export async function referredPlayers(
  prisma: PrismaClient,
  agentId: string,
  brandId: string,
  { first, after, offset }: { first?: number | null; after?: string | null; offset?: number | null },
): Promise<Connection<PlayerRef>> {
  const where = { agentId, brandId };
  const take = pageSize(first);
  const skip = pageOffset(offset, after);
  const cursor = after ? decodeCursor(after) : null;
  const position = cursor ? { OR: [{ registeredAt: { lt: cursor.createdAt } }, { registeredAt: cursor.createdAt, playerId: { lt: cursor.id } }] } : {};
  const [rows, total] = await Promise.all([
    prisma.agentPlayer.findMany({ where: { ...where, ...position }, orderBy: [{ registeredAt: 'desc' }, { playerId: 'desc' }], take: take + 1, skip }),
    prisma.agentPlayer.count({ where }),
  ]);
  return connection(
    rows.map((row) => ({ id: row.playerId, registeredAt: row.registeredAt })),
    take,
    total,
    (player) => player.registeredAt!,
  );
}
