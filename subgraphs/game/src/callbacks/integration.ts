import { randomUUID } from 'node:crypto';
import { TokenError, type TokenService } from '@rgb/auth';
import { type SessionRevocations, sign } from '@rgb/kit';
import type { IntegrationStaff } from '../authorization';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type CallbackDeps, handleCallback } from './handle';

/** Who may use the integration routes: a live staff session of someone with providers.manage on every brand. */
export interface StaffAccess {
  userTokens: TokenService;
  revocations: SessionRevocations;
  integrationStaff: IntegrationStaff;
}

/**
 * `/integration/*`, on the loopback callback listener, for staff wiring up a provider: the last
 * callbacks of a provider with their answers, and a signed test call that shows whether a
 * secret is the one the platform holds. A provider serves every brand, so only staff with
 * providers.manage on every brand may look.
 */
export function registerIntegrationRoutes(app: FastifyInstance, deps: CallbackDeps, { userTokens, revocations, integrationStaff }: StaffAccess): void {
  /** Null when the caller may use these routes; else the answer to give. */
  const refusal = async (request: FastifyRequest): Promise<{ status: number; error: string } | null> => {
    const token = request.headers.authorization?.replace(/^Bearer /, '') ?? '';
    let staff: Awaited<ReturnType<TokenService['verify']>>;
    try {
      staff = await userTokens.verify(token, ['staff']);
    } catch (error) {
      if (error instanceof TokenError) return { status: 401, error: 'a staff token is required' };
      throw error;
    }
    if (staff.audience !== 'staff' || (await revocations.isRevoked(staff.sessionId))) return { status: 401, error: 'this session has ended' };
    return integrationStaff.refusal({ id: staff.subject, brandId: staff.brandId, sessionId: staff.sessionId }, { requestId: request.id });
  };

  app.get<{ Params: { provider: string }; Querystring: { limit?: string } }>('/integration/providers/:provider/callbacks', async (request, reply) => {
    const refused = await refusal(request);
    if (refused) return reply.code(refused.status).send({ error: refused.error });
    const provider = await deps.catalog.provider(request.params.provider);
    if (!provider) return reply.code(404).send({ error: `no provider ${request.params.provider}` });
    const limit = Math.min(Math.max(Number(request.query.limit ?? 20) || 20, 1), 200);
    const calls = await deps.prisma.callbackLog.findMany({ where: { providerId: provider.id }, orderBy: { createdAt: 'desc' }, take: limit });
    return {
      provider: provider.code,
      callbacks: calls.map((call) => ({
        request_id: call.requestId,
        action: call.action,
        request: call.requestBody,
        response_status: call.responseStatus,
        response: call.responseBody,
        at: call.createdAt.toISOString(),
      })),
    };
  });

  app.post<{ Params: { provider: string } }>('/integration/providers/:provider/test-call', async (request, reply) => {
    const refused = await refusal(request);
    if (refused) return reply.code(refused.status).send({ error: refused.error });
    const input = z.object({ secret: z.string().min(1), account: z.string().min(1), currency: z.string().length(3) }).safeParse(jsonOf(request.body));
    if (!input.success) return reply.code(400).send({ error: 'secret, account and currency are required' });
    const body = Buffer.from(
      JSON.stringify({ request_id: `integration-test-${randomUUID()}`, timestamp: new Date().toISOString(), account: input.data.account, currency: input.data.currency }),
    );
    const answer = await handleCallback(
      {
        providerCode: request.params.provider,
        action: 'balance',
        rawBody: body,
        signature: sign(body, input.data.secret),
        log: request.log,
        context: { requestId: request.id },
      },
      deps,
    );
    return { signature_accepted: answer.status !== 401, status: answer.status, response: answer.body };
  });
}

/** The listener keeps bodies raw (for signatures); this route wants JSON. */
function jsonOf(body: unknown): unknown {
  try {
    return JSON.parse(Buffer.isBuffer(body) ? body.toString('utf8') : String(body ?? ''));
  } catch {
    return undefined;
  }
}
