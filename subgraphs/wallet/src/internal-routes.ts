import { DomainError, ErrorCode, formatMoney, isSupportedCurrency, MAX_MINOR } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import type { BrandRef } from '@rgb/kit';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { placeBet, rollbackBet, settleWin, type ProviderResult } from './bets';
import { adjustBalance, confirmRollingCompleted, creditPromotion, reversePromotion } from './credits';
import { balanceIn } from './ledger';

const uuid = z.uuid();
const withinLimit = (amount: bigint) => amount <= MAX_MINOR && amount >= -MAX_MINOR;
const minor = z.string().regex(/^\d{1,16}$/, 'minor units as a decimal string').transform(BigInt).refine(withinLimit, `at most ${MAX_MINOR} minor units`);
const signedMinor = z.string().regex(/^-?\d{1,16}$/, 'signed minor units as a decimal string').transform(BigInt).refine(withinLimit, `at most ${MAX_MINOR} minor units`);
const brand = z.object({ id: uuid, code: z.string().min(1), currency: z.string().refine(isSupportedCurrency, 'unsupported currency') });
const providerCall = z.object({
  brand,
  player_id: uuid,
  provider_code: z.string().min(1).max(64),
  transaction_id: z.string().min(1).max(128),
  round_id: z.string().min(1).max(128),
  game_code: z.string().min(1).max(128),
  game_category: z.string().min(1).max(64),
});
const keyed = z.object({ brand, player_id: uuid, key: z.string(), reference: z.string().min(1).max(200), caused_by: z.string().min(1).max(100), reason: z.string().max(500).nullish() });

// Built once: zod compiles a schema on first use, and rebuilding one per request costs the hot path.
const betBody = providerCall.extend({ amount_minor: minor, repeat_only: z.boolean().optional() });
const winBody = providerCall.extend({ amount_minor: minor, reference_transaction_id: z.string().min(1).max(128).nullish() });
const rollbackBody = providerCall.extend({ reference_transaction_id: z.string().min(1).max(128) });
const keyedAmountBody = keyed.extend({ amount_minor: minor });
const adjustmentBody = keyed.extend({ amount_minor: signedMinor, reason: z.string().min(1).max(500) });
const rollingBody = z.object({ brand, rolling_id: uuid, player_id: uuid });
const balanceQuery = z.object({ brand_id: uuid, brand_code: z.string(), currency: z.string(), player_id: uuid });

/** HTTP status of each expected failure on the internal API. */
const STATUS: Partial<Record<ErrorCode, number>> = {
  BAD_USER_INPUT: 400,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  DUPLICATE_TRANSACTION: 409,
  TRANSACTION_NOT_FOUND: 404,
  TRANSACTION_ROLLED_BACK: 409,
  INSUFFICIENT_FUNDS: 422,
};

function providerCallOf(body: z.infer<typeof providerCall>) {
  return {
    brand: body.brand as BrandRef,
    playerId: body.player_id,
    providerCode: body.provider_code,
    transactionId: body.transaction_id,
    roundId: body.round_id,
    gameCode: body.game_code,
    gameCategory: body.game_category,
  };
}

const answer = (result: ProviderResult | { balance: bigint; currency: string; duplicate: boolean }) => ({
  balance: formatMoney(result.balance, result.currency),
  balance_minor: result.balance.toString(),
  currency: result.currency,
  duplicate: result.duplicate,
});

/**
 * `/internal/wallet/*`: the narrow money API of the other services (game, promotion, agent,
 * rolling), behind a service token, never routed from outside. Bodies are snake_case JSON;
 * amounts are minor units as decimal strings.
 */
export function walletInternalRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply: FastifyReply) => {
    if (error instanceof z.ZodError) {
      return reply.code(400).send({ error: { code: 'BAD_USER_INPUT', message: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } });
    }
    if (error instanceof DomainError) {
      return reply.code(STATUS[error.code] ?? 400).send({ error: { code: error.code, message: error.message, ...error.details } });
    }
    if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: { code: 'BAD_REQUEST', message: error.message } });
    request.log.error({ err: error }, 'internal wallet call failed');
    return reply.code(500).send({ error: { code: 'INTERNAL_SERVER_ERROR', message: 'internal error' } });
  });

  app.get('/internal/wallet/balance', async (request) => {
    const query = balanceQuery.parse(request.query);
    const brandRef = brand.parse({ id: query.brand_id, code: query.brand_code, currency: query.currency });
    return answer({ balance: await balanceIn(prisma, brandRef, query.player_id), currency: brandRef.currency, duplicate: false });
  });

  app.post('/internal/wallet/bets', async (request) => {
    const body = betBody.parse(request.body);
    if (body.amount_minor === 0n) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'a bet must be greater than zero');
    return answer(await placeBet(prisma, { ...providerCallOf(body), amount: body.amount_minor, repeatOnly: body.repeat_only === true }));
  });

  app.post('/internal/wallet/wins', async (request) => {
    const body = winBody.parse(request.body);
    return answer(await settleWin(prisma, { ...providerCallOf(body), amount: body.amount_minor, referenceTransactionId: body.reference_transaction_id }));
  });

  app.post('/internal/wallet/rollbacks', async (request) => {
    const body = rollbackBody.parse(request.body);
    return answer(await rollbackBet(prisma, { ...providerCallOf(body), referenceTransactionId: body.reference_transaction_id }));
  });

  const keyedMovement = (body: z.infer<typeof keyed>, amount: bigint) => ({
    brand: body.brand as BrandRef,
    playerId: body.player_id,
    amount,
    key: body.key,
    reference: body.reference,
    causedBy: body.caused_by,
    reason: body.reason ?? null,
  });

  app.post('/internal/wallet/promotions/credit', async (request) => {
    const body = keyedAmountBody.parse(request.body);
    return answer(await creditPromotion(prisma, keyedMovement(body, body.amount_minor)));
  });

  app.post('/internal/wallet/promotions/reverse', async (request) => {
    const body = keyedAmountBody.parse(request.body);
    return answer(await reversePromotion(prisma, keyedMovement(body, body.amount_minor)));
  });

  app.post('/internal/wallet/adjustments', async (request) => {
    const body = adjustmentBody.parse(request.body);
    return answer(await adjustBalance(prisma, { ...keyedMovement(body, body.amount_minor), reason: body.reason }, { mayOpenAccount: true }));
  });

  app.post('/internal/wallet/rolling-completions', async (request) => {
    const body = rollingBody.parse(request.body);
    return confirmRollingCompleted(prisma, body.brand as BrandRef, body.rolling_id, body.player_id);
  });
}
