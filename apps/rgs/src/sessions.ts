import { isSupportedCurrency, type RgsLaunchRequest, type RgsLaunchResponse, type RgsSessionView } from '@rgb/contracts';
import { directSql, type PrismaClient, statement } from '@rgb/db';
import { RgsError, invalidRequest, notFound } from './errors';
import { journaled } from './journal';
import type { Operator } from './operators';
import { activeSeedPair, ensureSeedPair, type SeedCommitment } from './seeds';
import { newToken, type SecretBox, sha256 } from './secrets';
import { refuse, refusalEntry } from './refusals';
import { type Clock, launchRefusal } from './responsible-gaming';

export interface SessionDeps {
  prisma: PrismaClient;
  box: SecretBox;
  ttlSeconds: number;
  /** Where players open a game (RGS_PUBLIC_URL). */
  publicUrl: string;
  /** Now, for the responsible-gaming checks. */
  clock: Clock;
}

/** A session of the calling operator, with its player and game. */
export interface SessionRecord {
  id: string;
  playerId: string;
  account: string;
  currency: string;
  gameId: string;
  gameCode: string;
  houseEdgeBps: number;
  jurisdiction: string;
  expiresAt: Date;
  revokedAt: Date | null;
}

const SESSION_BY_TOKEN = statement(
  `SELECT s.id, s.player_id AS "playerId", p.external_id AS account, p.currency, s.game_id AS "gameId", g.code AS "gameCode",
          g.house_edge_bps AS "houseEdgeBps", s.jurisdiction, s.expires_at AS "expiresAt", s.revoked_at AS "revokedAt"
     FROM rgs.session s
     JOIN rgs.player p ON p.id = s.player_id
     JOIN rgs.game g ON g.id = s.game_id
    WHERE s.operator_id = $1::uuid AND s.token_sha256 = $2`,
);

/**
 * The session `token` names among the operator's: the operator's id is part of the lookup, so
 * another operator's token is as unknown as a made-up one. Every bet runs it: a direct statement.
 */
export async function findSession(prisma: PrismaClient, operatorId: string, token: string): Promise<SessionRecord | null> {
  const [session] = await directSql(prisma).rows<SessionRecord>(SESSION_BY_TOKEN, [operatorId, sha256(token)]);
  return session ?? null;
}

/** A session a player may play in: the operator's, not revoked, not expired. */
export async function liveSession(prisma: PrismaClient, operatorId: string, token: string): Promise<SessionRecord> {
  const session = await findSession(prisma, operatorId, token);
  if (!session) throw new RgsError('SESSION_INVALID', 'no such session');
  if (session.revokedAt) throw new RgsError('SESSION_REVOKED', 'the session was revoked');
  if (session.expiresAt.getTime() <= Date.now()) throw new RgsError('SESSION_EXPIRED', 'the session has expired');
  return session;
}

function sessionView(session: SessionRecord, seeds: SeedCommitment): RgsSessionView {
  return {
    session_id: session.id,
    player_id: session.account,
    currency: session.currency,
    game_code: session.gameCode,
    jurisdiction: session.jurisdiction,
    expires_at: session.expiresAt.toISOString(),
    server_seed_hash: seeds.serverSeedHash,
    client_seed: seeds.clientSeed,
    nonce: seeds.nextNonce,
  };
}

/**
 * Opens a session for a player of the operator, creating the player on their first launch (one
 * INSERT .. ON CONFLICT, so launches racing each other make one player) and their first seed
 * pair, whose commitment the answer shows before any bet. A jurisdiction the operator does not
 * allow, and a self-excluded player, are refused (audited).
 */
export async function launchSession(deps: SessionDeps, operator: Operator, request: RgsLaunchRequest, requestId: string): Promise<RgsLaunchResponse> {
  if (!isSupportedCurrency(request.currency)) throw invalidRequest(`currency: ${request.currency} is not supported`);
  const game = await deps.prisma.rgsGame.findUnique({ where: { code: request.game_code } });
  if (!game) throw notFound(`no game ${request.game_code}`);
  const jurisdiction = request.jurisdiction ?? operator.defaultJurisdiction;
  if (!operator.allowedJurisdictions.includes(jurisdiction)) {
    return refuse(deps.prisma, operator, requestId, new RgsError('JURISDICTION_BLOCKED', `the operator takes no players in ${jurisdiction}`), {
      action: 'session.launch_refused',
      targetType: 'player',
      targetId: request.player_id,
      details: { jurisdiction, game_code: game.code },
    });
  }
  const token = newToken();
  const launched = await journaled(deps.prisma, requestId, async (tx, journal) => {
    // DO UPDATE (of nothing) rather than DO NOTHING: the statement then returns the existing row
    // too, and holds it locked, so a racing launch of the same player waits for this one's seed pair.
    const [player] = await tx.$queryRawUnsafe<{ id: string; currency: string }[]>(
      `INSERT INTO rgs.player (id, operator_id, external_id, currency) VALUES (gen_random_uuid(), $1::uuid, $2, $3)
       ON CONFLICT (operator_id, external_id) DO UPDATE SET external_id = EXCLUDED.external_id
       RETURNING id, currency`,
      operator.id,
      request.player_id,
      request.currency,
    );
    const excluded = await launchRefusal(tx, deps.clock, player!.id);
    if (excluded) {
      const entry = { action: 'session.launch_refused', targetType: 'player', targetId: request.player_id, details: { jurisdiction, game_code: game.code } };
      journal.audit(operator.id, refusalEntry(excluded, entry));
      return { refusal: excluded };
    }
    if (player!.currency !== request.currency) {
      throw new RgsError('CURRENCY_MISMATCH', `player ${request.player_id} plays in ${player!.currency}`);
    }
    const seeds = await ensureSeedPair(tx, deps.box, operator.id, player!.id, request.client_seed);
    const created = await tx.rgsSession.create({
      data: {
        operatorId: operator.id,
        playerId: player!.id,
        gameId: game.id,
        tokenSha256: new Uint8Array(sha256(token)),
        jurisdiction,
        // On the responsible-gaming clock: the session's play time and reality checks count from here.
        createdAt: deps.clock(),
        expiresAt: new Date(Date.now() + deps.ttlSeconds * 1000),
      },
    });
    const session: SessionRecord = {
      id: created.id,
      playerId: player!.id,
      account: request.player_id,
      currency: request.currency,
      gameId: game.id,
      gameCode: game.code,
      houseEdgeBps: game.houseEdgeBps,
      jurisdiction,
      expiresAt: created.expiresAt,
      revokedAt: null,
    };
    const facts = { session_id: session.id, player_id: session.account, game_code: game.code, jurisdiction, expires_at: session.expiresAt.toISOString() };
    journal.event(operator.id, 'session.launched', { ...facts, server_seed_hash: seeds.serverSeedHash });
    journal.audit(operator.id, { action: 'session.launch', targetType: 'session', targetId: session.id, details: facts });
    return { session, seeds };
  });
  if ('refusal' in launched) throw launched.refusal;
  const { session, seeds } = launched;
  const url = new URL('/play', deps.publicUrl);
  url.searchParams.set('game', game.code);
  url.searchParams.set('session', token);
  return { ...sessionView(session, seeds), session_token: token, url: url.toString() };
}

/** A live session of the operator, with the commitment its next bet plays under. */
export async function verifySession(deps: SessionDeps, operator: Operator, token: string): Promise<RgsSessionView> {
  const session = await liveSession(deps.prisma, operator.id, token);
  return sessionView(session, await activeSeedPair(deps.prisma, operator.id, session.playerId));
}

/** Ends a session of the operator (audited once: revoking it again answers the same). */
export async function revokeSession(deps: SessionDeps, operator: Operator, token: string, requestId: string): Promise<{ session_id: string; revoked_at: string }> {
  const session = await findSession(deps.prisma, operator.id, token);
  if (!session) throw new RgsError('SESSION_INVALID', 'no such session');
  const revokedAt = await journaled(deps.prisma, requestId, async (tx, journal) => {
    const [row] = await tx.$queryRawUnsafe<{ revoked_at: Date; changed: boolean }[]>(
      `WITH revoked AS (
         UPDATE rgs.session SET revoked_at = now() WHERE id = $1::uuid AND operator_id = $2::uuid AND revoked_at IS NULL RETURNING revoked_at
       )
       SELECT revoked_at, true AS changed FROM revoked
       UNION ALL SELECT revoked_at, false FROM rgs.session WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM revoked)`,
      session.id,
      operator.id,
    );
    if (row!.changed) {
      journal.event(operator.id, 'session.revoked', { session_id: session.id, player_id: session.account });
      journal.audit(operator.id, { action: 'session.revoke', targetType: 'session', targetId: session.id, details: { player_id: session.account } });
    }
    return row!.revoked_at;
  });
  return { session_id: session.id, revoked_at: revokedAt.toISOString() };
}
