import { formatMoney, MoneyFormatError, parseMoney, sessionTokenSchema } from '@rgb/contracts';
import type { PrismaClient, RgsLimitKind } from '@rgb/db';
import type { Logger } from '@rgb/kit';
import { z } from 'zod';
import { dailyLimitRefusal } from './compliance';
import { invalidRequest, notFound, RgsError } from './errors';
import { type Journal, journaled, type Tx } from './journal';
import type { Operator, OperatorLimits } from './operators';
import { parseBody } from './parse';
import { liveSession, type SessionRecord } from './sessions';

/** Now, as the responsible-gaming rules read it: injectable, so a test moves time instead of waiting. */
export type Clock = () => Date;

export interface ResponsibleGamingDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
}

/** A loosened limit (a larger value, or none) is in force this long after it was asked for. */
export const LOOSENING_DELAY_MS = 24 * 60 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;
const MINUTE_MS = 60 * 1000;

type Period = 'day' | 'week' | 'month';

/** Every limit a player may have, by its API name: what it bounds, and over which of the operator's periods. */
const LIMITS = {
  daily_loss_limit: { kind: 'DAILY_LOSS', measure: 'loss', period: 'day' },
  weekly_loss_limit: { kind: 'WEEKLY_LOSS', measure: 'loss', period: 'week' },
  monthly_loss_limit: { kind: 'MONTHLY_LOSS', measure: 'loss', period: 'month' },
  daily_wager_limit: { kind: 'DAILY_WAGER', measure: 'wager', period: 'day' },
  weekly_wager_limit: { kind: 'WEEKLY_WAGER', measure: 'wager', period: 'week' },
  monthly_wager_limit: { kind: 'MONTHLY_WAGER', measure: 'wager', period: 'month' },
  session_time_limit_minutes: { kind: 'SESSION_TIME', measure: 'minutes', period: null },
  reality_check_interval_minutes: { kind: 'REALITY_CHECK', measure: 'minutes', period: null },
} as const satisfies Record<string, { kind: RgsLimitKind; measure: 'loss' | 'wager' | 'minutes'; period: Period | null }>;
type LimitName = keyof typeof LIMITS;
const LIMIT_NAMES = Object.keys(LIMITS) as LimitName[];
const PERIOD_WORD: Record<Period, string> = { day: 'today', week: 'this week', month: 'this month' };

/** A stored limit: the value in force (null: none) and a loosening waiting for its time. */
interface LimitRow {
  kind: RgsLimitKind;
  value: bigint | null;
  pendingValue: bigint | null;
  pendingFrom: Date | null;
}

/** The value in force at `now`: a pending loosening once its time has come. */
const inForce = (row: LimitRow | undefined, now: Date): bigint | null =>
  row?.pendingFrom && row.pendingFrom <= now ? row.pendingValue : (row?.value ?? null);

/** A limit being set, as the audit log and the event record it. */
interface LimitChange {
  limit: LimitName;
  from: string | number | null;
  to: string | number | null;
  /** When `to` is in force: now for a tightening (or the same value, withdrawing a pending loosening), in 24 h for a loosening. */
  in_force_from: string;
}

/**
 * What asking for `asked` does to a limit at `now`: a tightening (or the value in force) applies at
 * once and drops any pending loosening; a loosening waits LOOSENING_DELAY_MS, and asking for the
 * same loosening again keeps its time (a retried request does not push it back). Null: no change.
 */
function decide(row: LimitRow | undefined, asked: bigint | null, now: Date): { next: Omit<LimitRow, 'kind'>; inForceFrom: Date } | null {
  const current = inForce(row, now);
  const pending = row?.pendingFrom && row.pendingFrom > now ? { value: row.pendingValue, from: row.pendingFrom } : null;
  const loosening = asked === null ? current !== null : current !== null && asked > current;
  if (!loosening) {
    if (asked === current && !pending) return null;
    return { next: { value: asked, pendingValue: null, pendingFrom: null }, inForceFrom: now };
  }
  if (pending && pending.value === asked) return null;
  const from = new Date(now.getTime() + LOOSENING_DELAY_MS);
  return { next: { value: current, pendingValue: asked, pendingFrom: from }, inForceFrom: from };
}

const moneyLimit = z.string().max(40).nullable().optional();
const minutesLimit = z.number().int().min(1).max(1440).nullable().optional();
/** PUT /players/{id}/limits: the limits to set, each a decimal string of the player's currency or minutes; null removes one. */
const limitsRequest = z
  .strictObject(Object.fromEntries(LIMIT_NAMES.map((name) => [name, LIMITS[name].measure === 'minutes' ? minutesLimit : moneyLimit])))
  .refine((body) => Object.values(body).some((value) => value !== undefined), 'name at least one limit');

const selfExclusionRequest = z.union([z.strictObject({ days: z.number().int().min(1).max(3650) }), z.strictObject({ permanent: z.literal(true) })]);
const sessionRequest = z.object({ session_token: sessionTokenSchema });

interface Player {
  id: string;
  externalId: string;
  currency: string;
}

/** A player of the operator by the operator's id of them: another operator's is as unknown as a made-up one. */
async function findPlayer(prisma: PrismaClient, operatorId: string, externalId: string): Promise<Player> {
  const player = await prisma.rgsPlayer.findUnique({
    where: { operatorId_externalId: { operatorId, externalId } },
    select: { id: true, externalId: true, currency: true },
  });
  if (!player) throw notFound(`no player ${externalId}`);
  return player;
}

/**
 * Locks the player's row for the rest of the transaction: their bets, limit changes, exclusions and
 * seed rotations take turns, so a bet always reads the limits and totals as the last change left them.
 */
export async function lockPlayer(tx: Tx, operatorId: string, playerId: string): Promise<void> {
  await tx.$queryRawUnsafe(`SELECT id FROM rgs.player WHERE id = $1::uuid AND operator_id = $2::uuid FOR NO KEY UPDATE`, playerId, operatorId);
}

/** The player's self-exclusion in force at `now` (the latest end of those not ended), or null. */
async function activeExclusion(db: PrismaClient | Tx, playerId: string, now: Date): Promise<{ until: string | null; permanent: boolean } | null> {
  const [row] = await db.$queryRawUnsafe<{ permanent: boolean | null; until: Date | null }[]>(
    `SELECT bool_or(ends_at IS NULL) AS permanent, max(ends_at) AS until FROM rgs.self_exclusion
      WHERE player_id = $1::uuid AND (ends_at IS NULL OR ends_at > $2::timestamptz)`,
    playerId,
    now.toISOString(),
  );
  if (!row || row.permanent === null) return null;
  return { permanent: row.permanent, until: row.permanent ? null : row.until!.toISOString() };
}

const exclusionRefusal = (exclusion: { until: string | null }) =>
  new RgsError('SELF_EXCLUDED', exclusion.until ? `the player is self-excluded until ${exclusion.until}` : 'the player is self-excluded permanently');

/** A launch's check, in its transaction after the player's row is locked: a self-excluded player opens no session. */
export async function launchRefusal(tx: Tx, clock: Clock, playerId: string): Promise<RgsError | null> {
  const exclusion = await activeExclusion(tx, playerId, clock());
  return exclusion && exclusionRefusal(exclusion);
}

type Shown = string | number | null;
const shown = (name: LimitName, value: bigint | null, currency: string): Shown =>
  value === null ? null : LIMITS[name].measure === 'minutes' ? Number(value) : formatMoney(value, currency);

/** GET /players/{id}/limits: each limit in force and any loosening pending with its time, and the self-exclusion. */
export async function playerLimits(deps: ResponsibleGamingDeps, operator: Operator, externalId: string) {
  const player = await findPlayer(deps.prisma, operator.id, externalId);
  const now = deps.clock();
  const [rows, exclusion] = await Promise.all([deps.prisma.rgsPlayerLimit.findMany({ where: { playerId: player.id } }), activeExclusion(deps.prisma, player.id, now)]);
  const limits = {} as Record<LimitName, { value: Shown; pending: { value: Shown; in_force_from: string } | null }>;
  for (const name of LIMIT_NAMES) {
    const row = rows.find((candidate) => candidate.kind === LIMITS[name].kind);
    const pending = row?.pendingFrom && row.pendingFrom > now ? { value: shown(name, row.pendingValue, player.currency), in_force_from: row.pendingFrom.toISOString() } : null;
    limits[name] = { value: shown(name, inForce(row, now), player.currency), pending };
  }
  return { player_id: player.externalId, currency: player.currency, limits, self_exclusion: exclusion };
}

/**
 * PUT /players/{id}/limits: sets the limits named (null removes one). A tightening is in force at
 * once, a loosening after 24 h (pending until then, shown by GET); audited, and an event, when
 * anything changed. Answers as GET.
 */
export async function setPlayerLimits(deps: ResponsibleGamingDeps, operator: Operator, externalId: string, body: unknown, requestId: string) {
  const request = parseBody(limitsRequest, body) as Partial<Record<LimitName, string | number | null>>;
  const player = await findPlayer(deps.prisma, operator.id, externalId);
  const asked = LIMIT_NAMES.filter((name) => request[name] !== undefined).map((name) => ({ name, value: askedValue(name, request[name]!, player.currency) }));
  const now = deps.clock();
  await journaled(deps.prisma, requestId, async (tx, journal) => {
    await lockPlayer(tx, operator.id, player.id);
    const rows = await tx.rgsPlayerLimit.findMany({ where: { playerId: player.id } });
    const changes: LimitChange[] = [];
    for (const { name, value } of asked) {
      const kind = LIMITS[name].kind;
      const row = rows.find((candidate) => candidate.kind === kind);
      const decided = decide(row, value, now);
      if (!decided) continue;
      const written = { ...decided.next, updatedAt: now };
      await tx.rgsPlayerLimit.upsert({
        where: { playerId_kind: { playerId: player.id, kind } },
        create: { playerId: player.id, kind, operatorId: operator.id, ...written },
        update: written,
      });
      changes.push({ limit: name, from: shown(name, inForce(row, now), player.currency), to: shown(name, value, player.currency), in_force_from: decided.inForceFrom.toISOString() });
    }
    if (changes.length === 0) return;
    const facts = { player_id: player.externalId, changes };
    journal.event(operator.id, 'player.limits_changed', facts);
    journal.audit(operator.id, { action: 'player.limits_set', targetType: 'player', targetId: player.externalId, details: facts });
  });
  return playerLimits(deps, operator, externalId);
}

function askedValue(name: LimitName, value: string | number | null, currency: string): bigint | null {
  if (value === null) return null;
  if (typeof value === 'number') return BigInt(value);
  try {
    return parseMoney(value, currency);
  } catch (error) {
    if (error instanceof MoneyFormatError) throw invalidRequest(`${name}: ${error.message}`);
    throw error;
  }
}

/**
 * POST /players/{id}/self-exclusion: excludes the player for `days` or permanently, from now. It
 * ends every live session of theirs in the same transaction; launches and bets are refused until
 * it ends. An exclusion is never shortened: a shorter one asked during a longer one changes nothing.
 */
export async function selfExclude(deps: ResponsibleGamingDeps, operator: Operator, externalId: string, body: unknown, requestId: string) {
  const request = parseBody(selfExclusionRequest, body);
  const player = await findPlayer(deps.prisma, operator.id, externalId);
  const now = deps.clock();
  const endsAt = 'days' in request ? new Date(now.getTime() + request.days * DAY_MS) : null;
  const ended = await journaled(deps.prisma, requestId, async (tx, journal) => {
    await lockPlayer(tx, operator.id, player.id);
    await tx.rgsSelfExclusion.create({ data: { operatorId: operator.id, playerId: player.id, startedAt: now, endsAt } });
    const sessions = await tx.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE rgs.session SET revoked_at = now()
        WHERE player_id = $1::uuid AND operator_id = $2::uuid AND revoked_at IS NULL AND expires_at > now() RETURNING id`,
      player.id,
      operator.id,
    );
    for (const session of sessions) journal.event(operator.id, 'session.revoked', { session_id: session.id, player_id: player.externalId, reason: 'self_exclusion' });
    const facts = { player_id: player.externalId, started_at: now.toISOString(), ends_at: endsAt?.toISOString() ?? null, sessions_ended: sessions.map((session) => session.id) };
    journal.event(operator.id, 'player.self_excluded', facts);
    journal.audit(operator.id, { action: 'player.self_exclude', targetType: 'player', targetId: player.externalId, details: facts });
    return sessions.length;
  });
  return { player_id: player.externalId, self_exclusion: await activeExclusion(deps.prisma, player.id, now), sessions_ended: ended };
}

/**
 * POST /sessions/reality-check: the player has seen how long they have played and what they have
 * won or lost in the session; the next check is due one interval from now. Audited.
 */
export async function acknowledgeRealityCheck(deps: ResponsibleGamingDeps, operator: Operator, body: unknown, requestId: string) {
  const session = await liveSession(deps.prisma, operator.id, parseBody(sessionRequest, body).session_token);
  const now = deps.clock();
  return journaled(deps.prisma, requestId, async (tx, journal) => {
    const [row] = await tx.$queryRawUnsafe<{ started_at: Date; bets: number; wagered: bigint; net: bigint }[]>(
      `WITH checked AS (
         UPDATE rgs.session SET reality_checked_at = $3::timestamptz WHERE id = $1::uuid AND operator_id = $2::uuid RETURNING created_at
       )
       SELECT checked.created_at AS started_at, count(bet.id)::int AS bets,
              COALESCE(SUM(bet.amount_minor), 0)::bigint AS wagered, COALESCE(SUM(bet.win_minor - bet.amount_minor), 0)::bigint AS net
         FROM checked LEFT JOIN rgs.bet ON bet.player_id = $4::uuid AND bet.created_at >= checked.created_at
                                         AND bet.session_id = $1::uuid AND bet.status IN ('DEBITING', 'DEBITED', 'SETTLED')
        GROUP BY checked.created_at`,
      session.id,
      operator.id,
      now.toISOString(),
      session.playerId,
    );
    const interval = inForce(
      (await tx.rgsPlayerLimit.findUnique({ where: { playerId_kind: { playerId: session.playerId, kind: 'REALITY_CHECK' } } })) ?? undefined,
      now,
    );
    const facts = {
      session_id: session.id,
      player_id: session.account,
      played_seconds: Math.floor((now.getTime() - row!.started_at.getTime()) / 1000),
      bets: row!.bets,
      wagered: formatMoney(row!.wagered, session.currency),
      net: formatMoney(row!.net, session.currency),
    };
    journal.event(operator.id, 'session.reality_checked', facts);
    journal.audit(operator.id, { action: 'session.reality_check', targetType: 'session', targetId: session.id, details: facts });
    return { ...facts, next_check_at: interval === null ? null : new Date(now.getTime() + Number(interval) * MINUTE_MS).toISOString() };
  });
}

interface BetState {
  /** The player's limits in force, by kind, as text (minor units or minutes). */
  limits: Partial<Record<RgsLimitKind, string>> | null;
  excluded_permanent: boolean | null;
  excluded_until: Date | null;
  session_started_at: Date;
  reality_checked_at: Date | null;
  day_net: bigint;
  day_wager: bigint;
  week_net: bigint;
  week_wager: bigint;
  month_net: bigint;
  month_wager: bigint;
}

/**
 * Everything a bet's checks read, in one statement: the player's limits in force, their
 * self-exclusion, the session's start and last reality check, and their net result and stakes over
 * the operator's day, ISO week and month (in its time zone) from the RGS's own bets whose stake is
 * taken or being taken. Bets are summed from the start of the longest period the player has a limit
 * for (the day's, which the operator's limits need, at least).
 */
const BET_STATE = `
WITH now_local AS (SELECT $3::timestamptz AT TIME ZONE $4 AS at),
bounds AS (
  SELECT date_trunc('day', at) AT TIME ZONE $4 AS day_start, date_trunc('week', at) AT TIME ZONE $4 AS week_start,
         date_trunc('month', at) AT TIME ZONE $4 AS month_start FROM now_local
),
limits AS (
  SELECT kind, CASE WHEN pending_from <= $3::timestamptz THEN pending_value ELSE value END AS value
    FROM rgs.player_limit WHERE player_id = $1::uuid
),
counted AS (
  SELECT bet.amount_minor, bet.win_minor, bet.created_at FROM rgs.bet, bounds
   WHERE bet.player_id = $1::uuid AND bet.status IN ('DEBITING', 'DEBITED', 'SETTLED')
     AND bet.created_at >= LEAST(
       bounds.day_start,
       CASE WHEN EXISTS (SELECT 1 FROM limits WHERE kind IN ('WEEKLY_LOSS', 'WEEKLY_WAGER') AND value IS NOT NULL) THEN bounds.week_start END,
       CASE WHEN EXISTS (SELECT 1 FROM limits WHERE kind IN ('MONTHLY_LOSS', 'MONTHLY_WAGER') AND value IS NOT NULL) THEN bounds.month_start END)
)
SELECT
  (SELECT json_object_agg(kind, value::text) FROM limits WHERE value IS NOT NULL) AS limits,
  exclusion.permanent AS excluded_permanent, exclusion.until AS excluded_until,
  session.created_at AS session_started_at, session.reality_checked_at,
  totals.*
FROM rgs.session, bounds,
  LATERAL (SELECT bool_or(ends_at IS NULL) AS permanent, max(ends_at) AS until FROM rgs.self_exclusion
            WHERE player_id = $1::uuid AND (ends_at IS NULL OR ends_at > $3::timestamptz)) AS exclusion,
  LATERAL (SELECT
    COALESCE(SUM(win_minor - amount_minor) FILTER (WHERE created_at >= bounds.day_start), 0)::bigint AS day_net,
    COALESCE(SUM(amount_minor) FILTER (WHERE created_at >= bounds.day_start), 0)::bigint AS day_wager,
    COALESCE(SUM(win_minor - amount_minor) FILTER (WHERE created_at >= bounds.week_start), 0)::bigint AS week_net,
    COALESCE(SUM(amount_minor) FILTER (WHERE created_at >= bounds.week_start), 0)::bigint AS week_wager,
    COALESCE(SUM(win_minor - amount_minor) FILTER (WHERE created_at >= bounds.month_start), 0)::bigint AS month_net,
    COALESCE(SUM(amount_minor) FILTER (WHERE created_at >= bounds.month_start), 0)::bigint AS month_wager
    FROM counted) AS totals
WHERE session.id = $2::uuid`;

export interface BetCheck {
  operator: Operator;
  session: SessionRecord;
  /** The operator's limits in the bet's currency (its daily loss and win limits are checked here too). */
  limits: OperatorLimits;
  amountMinor: bigint;
}

/**
 * A bet's checks, in its transaction after the player's row is locked (lockPlayer), so two bets of
 * a player never both pass on the same totals: self-exclusion, the session's play time (a bet past
 * it also ends the session, in `tx`), the reality check, the operator's daily limits, then the
 * player's loss and wager limits, each as if this bet loses. A refusal or null; state that cannot
 * be read throws LIMITS_UNAVAILABLE (the bet is then refused, nothing of it recorded).
 */
export async function betProtectionRefusal(tx: Tx, journal: Journal, deps: Pick<ResponsibleGamingDeps, 'clock' | 'log'>, bet: BetCheck): Promise<RgsError | null> {
  const now = deps.clock();
  let state: BetState;
  try {
    [state] = (await tx.$queryRawUnsafe<BetState[]>(BET_STATE, bet.session.playerId, bet.session.id, now.toISOString(), bet.operator.timezone)) as [BetState];
  } catch (error) {
    deps.log.error({ err: error, player_id: bet.session.account }, "the player's limits could not be read: the bet is refused");
    throw new RgsError('LIMITS_UNAVAILABLE', "the player's limits cannot be read");
  }
  if (state.excluded_permanent !== null) {
    return exclusionRefusal({ until: state.excluded_permanent ? null : state.excluded_until!.toISOString() });
  }
  const limit = (kind: RgsLimitKind) => (state.limits?.[kind] === undefined ? null : BigInt(state.limits[kind]));

  const sessionMinutes = limit('SESSION_TIME');
  if (sessionMinutes !== null && now.getTime() >= state.session_started_at.getTime() + Number(sessionMinutes) * MINUTE_MS) {
    await tx.$executeRawUnsafe(`UPDATE rgs.session SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL`, bet.session.id);
    journal.event(bet.operator.id, 'session.revoked', { session_id: bet.session.id, player_id: bet.session.account, reason: 'session_time_limit' });
    return new RgsError('SESSION_TIME_LIMIT_REACHED', `the player's session time limit of ${sessionMinutes} minutes is reached: the session is ended`);
  }
  const checkMinutes = limit('REALITY_CHECK');
  const lastCheck = state.reality_checked_at ?? state.session_started_at;
  if (checkMinutes !== null && now.getTime() >= lastCheck.getTime() + Number(checkMinutes) * MINUTE_MS) {
    return new RgsError('REALITY_CHECK_REQUIRED', `a reality check is due every ${checkMinutes} minutes: acknowledge it (POST /sessions/reality-check), then bet`);
  }

  const operatorRefusal = dailyLimitRefusal(bet.limits, bet.amountMinor, state.day_net);
  if (operatorRefusal) return operatorRefusal;
  const money = (minor: bigint) => formatMoney(minor, bet.session.currency);
  for (const name of LIMIT_NAMES) {
    const { kind, measure, period } = LIMITS[name];
    const max = limit(kind);
    if (max === null || period === null) continue;
    if (measure === 'loss') {
      const lost = -state[`${period}_net`];
      if (lost + bet.amountMinor > max) {
        return new RgsError('PLAYER_LOSS_LIMIT_REACHED', `the player's ${name.replaceAll('_', ' ')} is ${money(max)}; their net loss ${PERIOD_WORD[period]} is ${money(lost > 0n ? lost : 0n)}`);
      }
    } else {
      const wagered = state[`${period}_wager`];
      if (wagered + bet.amountMinor > max) {
        return new RgsError('PLAYER_WAGER_LIMIT_REACHED', `the player's ${name.replaceAll('_', ' ')} is ${money(max)}; they have staked ${money(wagered)} ${PERIOD_WORD[period]}`);
      }
    }
  }
  return null;
}
