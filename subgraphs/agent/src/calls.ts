import { randomUUID } from 'node:crypto';
import type { TokenService } from '@rgb/auth';
import { promotionRoutes, type RouteRequest, walletRoutes } from '@rgb/contracts';
import type { AgentOutgoingCall, AgentOutgoingCallKind, AgentOutgoingCallStatus, Prisma, PrismaClient } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction } from '@rgb/events';
import { type CallContext, type Connection, type Logger, paginate, ServiceClient } from '@rgb/kit';
import type { AgentConfig } from './config';

/**
 * The agent domain's calls to the services that move or issue something for it (the wallet's
 * agent accounts, promotion's agent coupons). Each is written first, as an `outgoing_call` row in
 * the transaction of the change that needs it, then performed: by the request at once, and by
 * agent_worker after a fault (no answer: unreachable, timed out, a 5xx) until it is answered. The
 * row's id keys the call, so sending it again applies nothing twice. Its answer is applied to its
 * subject (the row it is for) in one transaction with the row's new status.
 */

const ROUTES = {
  WALLET_MOVEMENT: walletRoutes.agentMovement,
  COUPON_ISSUE: promotionRoutes.agentCouponIssue,
  COUPON_RECYCLE: promotionRoutes.agentCouponRecycle,
} as const;
type Routes = typeof ROUTES;

/** How long a performer's claim on a call keeps others off it: well past a call and its timeouts. */
const CALL_LEASE_MS = 60_000;
/** The longest a call waits before its next attempt: doubling from the retry delay up to this. */
const MAX_RETRY_MS = 60_000;

export type SubjectType = 'withdrawal' | 'coupon_grant' | 'balance_adjustment';

/** A call to write: `request` receives the call's idempotency key (`agent-call:<id>`). */
export interface NewCall<K extends AgentOutgoingCallKind> {
  kind: K;
  brandId: string;
  subjectType: SubjectType;
  subjectId: string;
  request: (key: string) => RouteRequest<Routes[K]>;
}

/** Writes a call in the transaction of the change that needs it; answers its id. */
export async function writeCall<K extends AgentOutgoingCallKind>(tx: Prisma.TransactionClient, call: NewCall<K>): Promise<string> {
  const id = randomUUID();
  const route = ROUTES[call.kind] as Routes[K];
  const payload = (route.toWire as (request: RouteRequest<Routes[K]>) => unknown)(call.request(`agent-call:${id}`));
  await tx.agentOutgoingCall.create({
    data: {
      id,
      brandId: call.brandId,
      kind: call.kind,
      subjectType: call.subjectType,
      subjectId: call.subjectId,
      payload: payload as Prisma.InputJsonValue,
      // The writer performs it next: the worker leaves it alone meanwhile.
      nextAttemptAt: new Date(Date.now() + CALL_LEASE_MS),
    },
  });
  return id;
}

/** A call's answer: the route's value, or a refusal its contract names. */
export type CallAnswer = { ok: true; value: Record<string, unknown> } | { ok: false; refusal: { code: string; message: string; balance?: string } };

/** What a subject made of its call's answer. */
export interface Settlement {
  /** DONE: applied; REFUSED: a refusal its flow expects, applied; FAILED: a refusal it does not expect (nothing applied). */
  status: 'DONE' | 'REFUSED' | 'FAILED';
  /** A call the subject wrote next (its flow's next step), performed at once. */
  next?: string;
}

/** Applies a call's answer to the call's subject, inside the transaction that settles the call. */
export type Settler = (tx: OutboxTransaction, call: AgentOutgoingCall, answer: CallAnswer) => Promise<Settlement>;

/** Where a performed call stands: settled (with the refusal it was answered, if any), or PENDING after a fault (tried again later). */
export interface Outcome {
  status: AgentOutgoingCallStatus;
  refusal?: { code: string; message: string; balance?: string };
}

export interface CallExecutorOptions {
  prisma: PrismaClient;
  wallet: ServiceClient;
  promotion: ServiceClient;
  log: Logger;
  retryMs: number;
  maxAttempts: number;
  settlers: Record<SubjectType, Settler>;
  /** Counts each call that becomes FAILED. */
  onFailed?: () => void;
}

/** Performs outgoing calls and settles them: the one executor of every flow, for requests and agent_worker alike. */
export class CallExecutor {
  constructor(private readonly options: CallExecutorOptions) {}

  /** Performs the call, and the calls its settlement writes next, until one is settled or left PENDING by a fault. */
  async perform(id: string, context: CallContext = {}): Promise<Outcome> {
    let callId = id;
    for (;;) {
      const call = await this.options.prisma.agentOutgoingCall.findUnique({ where: { id: callId } });
      if (!call) throw new Error(`agent outgoing call ${callId} does not exist`);
      if (call.status !== 'PENDING') return { status: call.status };
      let answer: CallAnswer;
      try {
        answer = await this.send(call, context);
      } catch (error) {
        await this.recordFault(call, error);
        return { status: 'PENDING' };
      }
      const settled = await this.settle(call, answer);
      if (settled?.next) {
        callId = settled.next;
        continue;
      }
      return { status: settled?.status ?? 'DONE', refusal: answer.ok ? undefined : answer.refusal };
    }
  }

  /**
   * Claims at most `take` PENDING calls whose next attempt has come, oldest first (their next
   * attempt moved a lease ahead; rows another replica is claiming skipped), and performs them.
   */
  async performDue(take = 50): Promise<{ performed: number; pending: boolean }> {
    const due = await this.options.prisma.$queryRaw<{ id: string }[]>`
      WITH due AS (
        SELECT id FROM agent.outgoing_call
        WHERE status = 'PENDING' AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT ${take}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE agent.outgoing_call AS call
      SET next_attempt_at = now() + ${CALL_LEASE_MS}::float8 * interval '1 millisecond'
      FROM due WHERE call.id = due.id
      RETURNING call.id::text AS id`;
    for (const { id } of due) await this.perform(id);
    return { performed: due.length, pending: due.length === take };
  }

  /** Throws while any call is FAILED: a loop of its own keeps agent_worker unhealthy until staff look at them. */
  async failedCalls(): Promise<void> {
    const count = await this.options.prisma.agentOutgoingCall.count({ where: { status: 'FAILED' } });
    if (count === 0) return;
    const last = await this.options.prisma.agentOutgoingCall.findFirst({ where: { status: 'FAILED' }, orderBy: { createdAt: 'desc' } });
    throw new Error(`${count} agent outgoing call(s) FAILED, refused unexpectedly or not answered after their attempts; last error: ${last?.lastError}`);
  }

  private async send(call: AgentOutgoingCall, context: CallContext): Promise<CallAnswer> {
    const route = ROUTES[call.kind];
    const client = call.kind === 'WALLET_MOVEMENT' ? this.options.wallet : this.options.promotion;
    const result = await client.call(route, route.request.parse(call.payload) as never, context);
    return result.ok ? { ok: true, value: result.value } : { ok: false, refusal: result.refusal };
  }

  /** Settles a PENDING call (locked) with its answer; null when it was settled meanwhile (by a request or another replica). */
  private async settle(call: AgentOutgoingCall, answer: CallAnswer): Promise<Settlement | null> {
    const settlement = await outboxTransaction(this.options.prisma, async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM agent.outgoing_call WHERE id = ${call.id}::uuid AND status = 'PENDING' FOR UPDATE`;
      if (!locked) return null;
      const settled = await this.options.settlers[call.subjectType as SubjectType](tx, call, answer);
      const lastError = answer.ok ? null : `${answer.refusal.code}: ${answer.refusal.message}`.slice(0, 500);
      await tx.agentOutgoingCall.update({ where: { id: call.id }, data: { status: settled.status, doneAt: new Date(), lastError } });
      return settled;
    });
    if (settlement?.status === 'FAILED') {
      this.options.log.error({ call: { id: call.id, kind: call.kind, subject: call.subjectId }, brand_id: call.brandId, answer }, 'agent outgoing call FAILED: refused unexpectedly');
      this.options.onFailed?.();
    } else if (settlement?.status === 'REFUSED') {
      this.options.log.info({ call: { id: call.id, kind: call.kind, subject: call.subjectId }, brand_id: call.brandId, answer }, 'agent outgoing call refused');
    }
    return settlement;
  }

  /** Keeps a fault on a call still PENDING: tried again after a delay doubling per attempt, FAILED at its last attempt. */
  private async recordFault(call: AgentOutgoingCall, error: unknown): Promise<void> {
    const { retryMs, maxAttempts, log } = this.options;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const [row] = await this.options.prisma.$queryRaw<{ attempts: number; status: string }[]>`
      UPDATE agent.outgoing_call
      SET attempts = attempts + 1,
          last_error = ${message},
          next_attempt_at = now() + LEAST(${retryMs}::float8 * power(2, LEAST(attempts, 20)), ${MAX_RETRY_MS}) * interval '1 millisecond',
          status = (CASE WHEN attempts + 1 >= ${maxAttempts} THEN 'FAILED' ELSE 'PENDING' END)::agent.agent_outgoing_call_status
      WHERE id = ${call.id}::uuid AND status = 'PENDING'
      RETURNING attempts, status::text AS status`;
    if (!row) return;
    const failed = row.status === 'FAILED';
    log.error(
      { err: error, call: { id: call.id, kind: call.kind, subject: call.subjectId }, brand_id: call.brandId, attempts: row.attempts, failed },
      failed ? 'agent outgoing call FAILED: not answered after its attempts' : 'agent outgoing call not answered; it will be tried again',
    );
    if (failed) this.options.onFailed?.();
  }
}

/** Clients of the services agents' money moves through, calling as `serviceName`. */
export function calledServices(
  config: Pick<AgentConfig, 'WALLET_URL' | 'PROMOTION_URL'>,
  tokens: TokenService,
  serviceName: string,
): { wallet: ServiceClient; promotion: ServiceClient; close(): Promise<void> } {
  const wallet = new ServiceClient({ baseUrl: config.WALLET_URL, tokens, serviceName });
  const promotion = new ServiceClient({ baseUrl: config.PROMOTION_URL, tokens, serviceName });
  return { wallet, promotion, close: async () => void (await Promise.all([wallet.close(), promotion.close()])) };
}

/** A brand's calls, newest first (for staff: the FAILED ones need a look). */
export function listCalls(prisma: PrismaClient, filter: { brandId: string; status?: AgentOutgoingCallStatus | null }, page: { first?: number | null; after?: string | null }): Promise<Connection<AgentOutgoingCall>> {
  const where = { brandId: filter.brandId, ...(filter.status ? { status: filter.status } : {}) };
  return paginate(
    page,
    (position, take) => prisma.agentOutgoingCall.findMany({ where: { ...where, ...position }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take }),
    () => prisma.agentOutgoingCall.count({ where }),
  );
}
