import type { AuthTokens } from '@rgb/auth';
import { forbidden, unauthenticated } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { LoginRequest } from '@rgb/kit';
import { agentMayServe } from './authorization';
import type { AgentServices } from './index';

/**
 * Signs an agent in on the request's brand, by its code (any case). The password is checked
 * first (throttled like every login; a wrong one and an unknown code get the same answer), then
 * whether the agent is active and serves the brand (FORBIDDEN). Agents are global: one account
 * on every brand, whose failures count once whatever host they come through.
 */
export async function agentLogin(prisma: PrismaClient, services: AgentServices, brandId: string, request: LoginRequest): Promise<AuthTokens> {
  const agent = await services.loginThrottle.authenticate({ audience: 'agent', accountScope: 'platform', ...request }, (code) =>
    prisma.agent.findUnique({ where: { code: code.toUpperCase() } }),
  );
  if (!(await agentMayServe(services.agentBrands, agent, brandId))) throw forbidden('this agent may not act on this brand');
  const tokens = await services.sessions.open(agent.id, brandId);
  // A suspension committed between the check above and the session's insert would miss this
  // session (it ends the sessions it finds after its commit), so the status is read again.
  const now = await prisma.agent.findUniqueOrThrow({ where: { id: agent.id }, select: { status: true } });
  if (now.status !== 'ACTIVE') {
    await services.sessions.revokeAll(agent.id);
    throw forbidden('this agent may not act on this brand');
  }
  return tokens;
}

/** New tokens for a live session whose agent is still active and serving its brand (else the session ends). */
export async function refreshAgentSession(prisma: PrismaClient, services: AgentServices, brandId: string, refreshToken: string): Promise<AuthTokens> {
  const outcome = await services.sessions.refresh(refreshToken, brandId, async (agentId, sessionBrandId) =>
    agentMayServe(services.agentBrands, await prisma.agent.findUnique({ where: { id: agentId } }), sessionBrandId),
  );
  if (outcome === 'invalid') throw unauthenticated('invalid refresh token');
  if (outcome === 'refused') throw forbidden('this agent may not act on this brand');
  return outcome;
}
