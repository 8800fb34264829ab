import { DomainError, ErrorCode, formatMoney, type WalletAnswer, walletRoutes } from '@rgb/contracts';
import type { PrismaClient } from '@rgb/db';
import { serveRoute } from '@rgb/kit';
import type { FastifyInstance } from 'fastify';
import { placeBet, rollbackBet, settleWin } from './bets';
import { adjustBalance, confirmRollingCompleted, creditPromotion, moveAgentAccount, reversePromotion } from './credits';
import { balanceIn } from './ledger';
import { approveDeposit, pendingDeposits } from './requests';

const answer = (result: { balance: bigint; currency: string; duplicate: boolean }): WalletAnswer => ({
  balance: formatMoney(result.balance, result.currency),
  balance_minor: result.balance.toString(),
  currency: result.currency,
  duplicate: result.duplicate,
});

/**
 * `/internal/wallet/*` (packages/contracts `walletRoutes`): the narrow money API of the other
 * services (game, promotion, agent, rolling, recon), behind a service token, never routed from outside.
 */
export function walletInternalRoutes(app: FastifyInstance, prisma: PrismaClient): void {
  serveRoute(app, walletRoutes.balance, async ({ brand, playerId }) =>
    answer({ balance: await balanceIn(prisma, brand, { playerId }), currency: brand.currency, duplicate: false }),
  );

  serveRoute(app, walletRoutes.bet, async (call) => {
    if (call.amount === 0n) throw new DomainError(ErrorCode.BAD_USER_INPUT, 'a bet must be greater than zero');
    return answer(await placeBet(prisma, call));
  });
  serveRoute(app, walletRoutes.win, async (call) => answer(await settleWin(prisma, call)));
  serveRoute(app, walletRoutes.rollback, async (call) => answer(await rollbackBet(prisma, call)));

  serveRoute(app, walletRoutes.promotionCredit, async (movement) => answer(await creditPromotion(prisma, movement)));
  serveRoute(app, walletRoutes.promotionReverse, async (movement) => answer(await reversePromotion(prisma, movement)));
  serveRoute(app, walletRoutes.adjustment, async (movement) => answer(await adjustBalance(prisma, movement, { mayOpenAccount: true })));
  serveRoute(app, walletRoutes.agentMovement, async (movement) => answer(await moveAgentAccount(prisma, movement)));
  serveRoute(app, walletRoutes.pendingDeposits, async (query) => {
    const { requests, truncated } = await pendingDeposits(prisma, query);
    return {
      requests: requests.map((request) => ({
        id: request.id,
        player_id: request.playerId,
        depositor_name: request.depositorName,
        created_at: request.createdAt.toISOString(),
      })),
      truncated,
    };
  });
  serveRoute(app, walletRoutes.depositApproval, async ({ brand, requestId, amount, causedBy }) => {
    const { request, duplicate } = await approveDeposit(prisma, brand, requestId, { causedBy, amount });
    return { request_id: request.id, player_id: request.playerId, duplicate };
  });
  serveRoute(app, walletRoutes.rollingCompletion, ({ brand, rollingId, playerId }) => confirmRollingCompleted(prisma, brand, rollingId, playerId));
}
