import { hashPassword, type AuthTokens, type SessionManager } from '@rgb/auth';
import { agentRoutes, badUserInput, conflict, forbidden, unauthenticated } from '@rgb/contracts';
import { Prisma, type Player, type PrismaClient } from '@rgb/db';
import { appendToOutbox, outboxTransaction } from '@rgb/events';
import { type CallContext, callOrRefuse, type Logger, normalizeUsername, type LoginRequest, type ServiceClient } from '@rgb/kit';
import type { PlayerServices } from './index';

export type PlayerRecord = Player;

const USERNAME = /^[A-Za-z0-9_]{4,20}$/;

export interface RegisterInput {
  username: string;
  password: string;
  nickname: string;
  agentCode?: string | null;
}

export function validateRegistration(input: RegisterInput): void {
  const problems: string[] = [];
  if (!USERNAME.test(input.username.trim())) problems.push('username must be 4 to 20 letters, digits or underscores');
  if (input.password.length < 8 || input.password.length > 128) problems.push('password must be 8 to 128 characters');
  const nickname = input.nickname.trim();
  if (nickname.length < 1 || nickname.length > 30) problems.push('nickname must be 1 to 30 characters');
  if (problems.length > 0) throw badUserInput(problems.join('; '));
}

/** The registering request: its ids for the agent domain's logs, and its logger. */
export type RegisterContext = CallContext & { log: Logger };

/**
 * The agent a registering player names by code: one that is active and serves the brand (the
 * agent domain decides), else BAD_USER_INPUT; SERVICE_UNAVAILABLE when it cannot be asked.
 */
async function referringAgentId(agent: ServiceClient, brandId: string, agentCode: string, context: RegisterContext): Promise<string> {
  const referral = { brand_id: brandId, agent_code: agentCode };
  // A code the route would refuse (too long) names no agent.
  if (!agentRoutes.referral.request.safeParse(referral).success) throw badUserInput('unknown agent code');
  const result = await callOrRefuse(agent, agentRoutes.referral, referral, context, 'agent codes cannot be checked right now; try again shortly');
  if (!result.ok) throw badUserInput('unknown agent code');
  return result.value.agent_id;
}

/** Creates the player (with the agent its code names) and its PLAYER_REGISTERED event in one transaction, then opens a session. */
export async function registerPlayer(
  prisma: PrismaClient,
  { sessions, agent }: Pick<PlayerServices, 'sessions' | 'agent'>,
  brandId: string,
  input: RegisterInput,
  context: RegisterContext,
): Promise<AuthTokens> {
  validateRegistration(input);
  const agentCode = input.agentCode?.trim();
  const agentId = agentCode ? await referringAgentId(agent, brandId, agentCode, context) : null;
  const passwordHash = await hashPassword(input.password);
  try {
    const player = await outboxTransaction(prisma, async (tx) => {
      const created = await tx.player.create({
        data: { brandId, username: normalizeUsername(input.username), nickname: input.nickname.trim(), passwordHash, agentId },
      });
      await appendToOutbox(tx, 'player.outbox', {
        type: 'PLAYER_REGISTERED',
        owner: created,
        brandId,
        aggregateType: 'player',
        aggregateId: created.id,
        traceparent: context.traceparent,
        payload: {
          player_id: created.id,
          username: created.username,
          nickname: created.nickname,
          agent_id: created.agentId,
          registered_at: created.createdAt.toISOString(),
        },
      });
      return created;
    });
    return await sessions.open(player.id, brandId);
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw conflict('username is taken');
    }
    throw error;
  }
}

/** Throttled per username and client address; one answer for an unknown user and a wrong password. */
export async function loginPlayer(
  prisma: PrismaClient,
  { sessions, loginThrottle }: PlayerServices,
  brandId: string,
  request: LoginRequest,
): Promise<AuthTokens> {
  const player = await loginThrottle.authenticate({ audience: 'player', accountScope: brandId, ...request }, (username) =>
    prisma.player.findUnique({ where: { brandId_username: { brandId, username } } }),
  );
  if (player.status === 'BLOCKED') throw forbidden('account blocked');
  const tokens = await sessions.open(player.id, brandId);
  // A block committed between the check above and the session's insert would miss this session
  // (it ends the sessions it finds after its commit), so the status is read again once the session exists.
  const now = await prisma.player.findUniqueOrThrow({ where: { id: player.id }, select: { status: true } });
  if (now.status === 'BLOCKED') {
    await sessions.revokeAll(player.id);
    throw forbidden('account blocked');
  }
  return tokens;
}

export async function refreshPlayerSession(
  prisma: PrismaClient,
  sessions: SessionManager,
  brandId: string,
  refreshToken: string,
): Promise<AuthTokens> {
  const outcome = await sessions.refresh(refreshToken, brandId, async (playerId) => {
    const player = await prisma.player.findUnique({ where: { id: playerId }, select: { status: true } });
    return player?.status === 'ACTIVE';
  });
  if (outcome === 'invalid') throw unauthenticated('invalid refresh token');
  if (outcome === 'refused') throw forbidden('account blocked');
  return outcome;
}

