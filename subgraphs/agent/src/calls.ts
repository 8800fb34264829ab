import { randomUUID } from 'node:crypto';
import type { TokenService } from '@rgb/auth';
import { conflict, notFound, promotionRoutes, type RouteRequest, walletRoutes } from '@rgb/contracts';
import { type AgentOutgoingCall, type AgentOutgoingCallKind, type AgentOutgoingCallStatus, Prisma, type PrismaClient } from '@rgb/db';
import { type OutboxTransaction, outboxTransaction, recordStaffAction, type StaffActor } from '@rgb/events';
import { type BrandRef, type CallContext, type Connection, isUuid, type Logger, paginate, ServiceClient } from '@rgb/kit';
import type { AgentConfig } from './config';

/**
 * The agent domain's calls to the services that move or issue something for it (the wallet's
 * agent accounts, promotion's agent coupons). Each is written first, as an `outgoing_call` row in
 * the transaction of the change that needs it, then performed: by the request at once, and by
 * agent_worker after a fault (no answer: unreachable, timed out, a 5xx) until it is answered, however
 * long that takes: without an answer its outcome is unknown, and the row's id keys the call, so
 * sending it again applies nothing twice. Its answer is applied to its subject (the row it is for)
 * in one transaction with the row's new status. A performer first claims the call (a token and a
 * lease): only the claim holding it settles it or records its fault, so two never both do.
 */

const ROUTES = {
  WALLET_MOVEMENT: walletRoutes.agentMovement,
  COUPON_ISSUE: promotionRoutes.agentCouponIssue,
  COUPON_RECYCLE: promotionRoutes.agentCouponRecycle,
} as const;
type Routes = typeof ROUTES;

/** How long a performer's claim on one call keeps others off it: well past a call and its timeouts. */
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
export type CallAnswer = { ok: true; value: Record<string, unknown> } | { ok: false; refusal: Refusal };

/** What a subject made of its call's answer. */
export interface Settlement {
  /** DONE: applied; REFUSED: a refusal its flow expects, applied; FAILED: a refusal it does not expect (nothing applied). */
  status: 'DONE' | 'REFUSED' | 'FAILED';
  /** A call the subject wrote next (its flow's next step), performed at once. */
  next?: string;
}

/** Applies a call's answer to the call's subject, inside the transaction that settles the call. */
export type Settler = (tx: OutboxTransaction, call: AgentOutgoingCall, answer: CallAnswer) => Promise<Settlement>;

type Refusal = { code: string; message: string; balance?: string };

/** Where a performed call stands: settled (with the refusal it was answered, if any), or PENDING (performed later: after a fault, or by another performer). */
export interface Outcome {
  status: AgentOutgoingCallStatus;
  refusal?: Refusal;
}

/** A call's stored outcome: what any performer answers, whoever settled it. */
const outcomeOf = (call: AgentOutgoingCall): Outcome => (call.refusal ? { status: call.status, refusal: call.refusal as Refusal } : { status: call.status });

export interface CallExecutorOptions {
  prisma: PrismaClient;
  wallet: ServiceClient;
  promotion: ServiceClient;
  log: Logger;
  retryMs: number;
  settlers: Record<SubjectType, Settler>;
  /** Counts each call that becomes FAILED. */
  onFailed?: () => void;
  /** Counts each attempt that got no answer (the call is tried again). */
  onFault?: () => void;
}

/** Performs outgoing calls and settles them: the one executor of every flow, for requests and agent_worker alike. */
export class CallExecutor {
  constructor(private readonly options: CallExecutorOptions) {}

  /**
   * Performs the call a request wrote (the worker leaves it alone until its lease ends), and the
   * calls its settlement writes next, until one is settled or left PENDING: by a fault, or because
   * another performer holds it.
   */
  async perform(id: string, context: CallContext = {}): Promise<Outcome> {
    let claimed = await this.claim(Prisma.sql`id = ${id}::uuid AND status = 'PENDING' AND claimed_by IS NULL`);
    for (;;) {
      if (!claimed) return outcomeOf(await this.options.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id } }));
      const outcome = await this.performClaimed(claimed, context);
      if (!('next' in outcome)) return outcome;
      claimed = await this.claim(Prisma.sql`id = ${outcome.next}::uuid AND status = 'PENDING' AND claimed_by IS NULL`);
      id = outcome.next;
    }
  }

  /**
   * Claims and performs, one at a time (so its lease covers it), at most `take` PENDING calls
   * whose next attempt has come, oldest first: rows another replica is claiming skipped. A call
   * its settlement writes next is the writer's, as a request's is: performed at once.
   */
  async performDue(take = 50): Promise<{ performed: number; pending: boolean }> {
    for (let performed = 0; performed < take; performed++) {
      const call = await this.claim(Prisma.sql`id = (
        SELECT id FROM agent.outgoing_call
        WHERE status = 'PENDING' AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT 1
        FOR UPDATE SKIP LOCKED
      )`);
      if (!call) return { performed, pending: false };
      const outcome = await this.performClaimed(call, {});
      if ('next' in outcome) await this.perform(outcome.next);
    }
    return { performed: take, pending: true };
  }

  /** Throws while any call is FAILED: a loop of its own keeps agent_worker unhealthy until staff retry them. */
  async failedCalls(): Promise<void> {
    const count = await this.options.prisma.agentOutgoingCall.count({ where: { status: 'FAILED' } });
    if (count === 0) return;
    const last = await this.options.prisma.agentOutgoingCall.findFirst({ where: { status: 'FAILED' }, orderBy: { createdAt: 'desc' } });
    throw new Error(`${count} agent outgoing call(s) FAILED, refused unexpectedly; last: ${last?.lastError}`);
  }

  /** Takes a fresh claim on the PENDING call `where` picks, its lease from now: null when there is none to claim. */
  private async claim(where: Prisma.Sql): Promise<AgentOutgoingCall | null> {
    const [row] = await this.options.prisma.$queryRaw<{ id: string }[]>`
      UPDATE agent.outgoing_call
      SET claimed_by = ${randomUUID()}::uuid, next_attempt_at = now() + ${CALL_LEASE_MS}::float8 * interval '1 millisecond'
      WHERE ${where}
      RETURNING id::text AS id`;
    return row ? this.options.prisma.agentOutgoingCall.findUnique({ where: { id: row.id } }) : null;
  }

  /** Sends a claimed call and settles it (or records its fault) while the claim still holds it; `next`: the call its settlement wrote. */
  private async performClaimed(call: AgentOutgoingCall, context: CallContext): Promise<Outcome | { next: string }> {
    let answer: CallAnswer;
    try {
      answer = await this.send(call, context);
    } catch (error) {
      await this.recordFault(call, error);
      return { status: 'PENDING' };
    }
    const settled = await this.settle(call, answer);
    // Lost to another claim: whatever it made of the call (or PENDING while it performs it).
    if (!settled) return outcomeOf(await this.options.prisma.agentOutgoingCall.findUniqueOrThrow({ where: { id: call.id } }));
    if (settled.next) return { next: settled.next };
    return answer.ok ? { status: settled.status } : { status: settled.status, refusal: answer.refusal };
  }

  private async send(call: AgentOutgoingCall, context: CallContext): Promise<CallAnswer> {
    const route = ROUTES[call.kind];
    const client = call.kind === 'WALLET_MOVEMENT' ? this.options.wallet : this.options.promotion;
    const result = await client.call(route, route.request.parse(call.payload) as never, context);
    return result.ok ? { ok: true, value: result.value } : { ok: false, refusal: result.refusal };
  }

  /** Settles a PENDING call (locked) with its answer while its claim holds it; null when another claim took it. */
  private async settle(call: AgentOutgoingCall, answer: CallAnswer): Promise<Settlement | null> {
    const settlement = await outboxTransaction(this.options.prisma, async (tx) => {
      const [locked] = await tx.$queryRaw<{ id: string }[]>`
        SELECT id::text FROM agent.outgoing_call WHERE id = ${call.id}::uuid AND status = 'PENDING' AND claimed_by = ${call.claimedBy}::uuid FOR UPDATE`;
      if (!locked) return null;
      const settled = await this.options.settlers[call.subjectType as SubjectType](tx, call, answer);
      const lastError = answer.ok ? null : `${answer.refusal.code}: ${answer.refusal.message}`.slice(0, 500);
      await tx.agentOutgoingCall.update({
        where: { id: call.id },
        data: { status: settled.status, doneAt: new Date(), lastError, refusal: answer.ok ? Prisma.DbNull : answer.refusal },
      });
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

  /**
   * Records a fault of a call its claim still holds, which stays PENDING: its outcome is unknown,
   * so it is tried again (under its key) after a delay doubling per attempt up to a minute, forever.
   */
  private async recordFault(call: AgentOutgoingCall, error: unknown): Promise<void> {
    const { retryMs, log } = this.options;
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
    const [row] = await this.options.prisma.$queryRaw<{ attempts: number }[]>`
      UPDATE agent.outgoing_call
      SET attempts = attempts + 1,
          last_error = ${message},
          claimed_by = NULL,
          next_attempt_at = now() + LEAST(${retryMs}::float8 * power(2, LEAST(attempts, 20)), ${MAX_RETRY_MS}) * interval '1 millisecond'
      WHERE id = ${call.id}::uuid AND status = 'PENDING' AND claimed_by = ${call.claimedBy}::uuid
      RETURNING attempts`;
    if (!row) {
      // Another claim holds the call now: it records its own outcome; this fault is only told.
      log.warn({ err: error, call: { id: call.id, kind: call.kind }, brand_id: call.brandId }, 'agent outgoing call not answered after its claim was lost');
      return;
    }
    log.error({ err: error, call: { id: call.id, kind: call.kind, subject: call.subjectId }, brand_id: call.brandId, attempts: row.attempts }, 'agent outgoing call not answered; it will be tried again');
    this.options.onFault?.();
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

/**
 * Staff put a FAILED call of the request's brand (another brand's is NOT_FOUND) back to PENDING,
 * due now, for agent_worker to send again under its key (after fixing the cause of its refusal).
 * CONFLICT when it is not FAILED. Audited as STAFF_ACTION_RECORDED.
 */
export async function retryFailedCall(prisma: PrismaClient, brand: BrandRef, actor: StaffActor, id: string): Promise<AgentOutgoingCall> {
  const found = isUuid(id) ? await prisma.agentOutgoingCall.findUnique({ where: { id } }) : null;
  if (!found || found.brandId !== brand.id) throw notFound('no such agent outgoing call');
  return outboxTransaction(prisma, async (tx) => {
    const { count } = await tx.agentOutgoingCall.updateMany({
      where: { id, status: 'FAILED' },
      data: { status: 'PENDING', attempts: 0, claimedBy: null, nextAttemptAt: new Date(), doneAt: null, refusal: Prisma.DbNull },
    });
    const call = await tx.agentOutgoingCall.findUniqueOrThrow({ where: { id } });
    if (count === 0) throw conflict(`agent outgoing call ${id} is ${call.status}, not FAILED`);
    await recordStaffAction(tx, 'agent.outbox', brand.id, actor, {
      action: 'agent_outgoing_call.retry',
      target_type: 'agent_outgoing_call',
      target_id: id,
      before: { status: 'FAILED', last_error: found.lastError },
      after: { status: 'PENDING' },
    });
    return call;
  });
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
