import { REFRESH_TOKEN_TTL_SECONDS, RefreshTokens } from './refresh-tokens';
import type { AccessClaims, TokenService } from './tokens';

/** The slice of a Prisma client the session store needs (raw SQL keeps one implementation for every session table). */
export interface SqlClient {
  $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T>;
}

export interface AuthTokens {
  accessToken: string;
  refreshToken: string;
}

/** Whether the session's subject may still hold one (an active player, staff with access to the brand). */
export type SubjectCheck = (subjectId: string, brandId: string) => Promise<boolean>;

/** The new tokens, or why there are none: no such live token (`invalid`), or the subject may no longer sign in (`refused`, the session is then ended). */
export type RefreshOutcome = AuthTokens | 'invalid' | 'refused';

/** Tables with the session shape: id, subject_id, brand_id, generation, expires_at, revoked_at, rotated_at. */
export type SessionTable = 'player.player_session' | 'admin.staff_session' | 'agent.agent_session';

/**
 * Login sessions with rotating refresh tokens. Each refresh moves the session to its next
 * generation in one conditional UPDATE, so two concurrent refreshes with one token cannot both
 * win; presenting a genuine token of an earlier generation, however old, means it leaked, and
 * revokes the whole session.
 */
export class SessionManager {
  private readonly refreshTokens: RefreshTokens;

  /**
   * @param refreshSecret the key refresh tokens are signed under (the auth secret).
   * @param onRevoke told of every session this manager ends, so the access tokens it issued
   *   stop working too (the router checks revoked sessions).
   * @param brandIdsOf for agent sessions: the brands the subject may serve, listed in each access token.
   */
  constructor(
    private readonly db: SqlClient,
    private readonly table: SessionTable,
    private readonly tokens: TokenService,
    refreshSecret: string,
    private readonly audience: AccessClaims['audience'],
    private readonly onRevoke: (sessionId: string) => Promise<void>,
    private readonly brandIdsOf?: (subjectId: string) => Promise<string[]>,
  ) {
    this.refreshTokens = new RefreshTokens(refreshSecret);
  }

  async open(subjectId: string, brandId: string): Promise<AuthTokens> {
    const brandIds = await this.brandIdsOf?.(subjectId);
    const [session] = await this.db.$queryRawUnsafe<{ id: string }[]>(
      `INSERT INTO ${this.table} (id, subject_id, brand_id, generation, expires_at)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, 0, now() + make_interval(secs => $3))
       RETURNING id`,
      subjectId,
      brandId,
      REFRESH_TOKEN_TTL_SECONDS,
    );
    const accessToken = await this.signAccess(subjectId, brandId, session!.id, brandIds);
    return { accessToken, refreshToken: this.refreshTokens.issue({ sessionId: session!.id, generation: 0 }) };
  }

  /**
   * Rotates the refresh token: `invalid` when it is not one of ours, expired, revoked, replayed or
   * of another brand than the request's (a session is bound to the brand it was opened on);
   * `refused`, ending the session, when `stillAllowed` says its subject may no longer sign in.
   */
  async refresh(refreshToken: string, brandId: string, stillAllowed: SubjectCheck): Promise<RefreshOutcome> {
    const presented = this.refreshTokens.read(refreshToken);
    if (!presented) return 'invalid';
    const live = `id = $1::uuid AND generation = $2 AND brand_id = $3::uuid AND revoked_at IS NULL AND expires_at > now()`;
    // Whatever asks another service (the subject check, an agent's brands) is done before the
    // rotation: a fault there must leave the presented token live for the client's retry, which
    // would otherwise look like a replay and end the session.
    const [session] = await this.db.$queryRawUnsafe<{ subject_id: string }[]>(
      `SELECT subject_id FROM ${this.table} WHERE ${live}`,
      presented.sessionId,
      presented.generation,
      brandId,
    );
    if (!session) return this.replayed(presented.sessionId, presented.generation);
    if (!(await stillAllowed(session.subject_id, brandId))) {
      await this.revoke(presented.sessionId);
      return 'refused';
    }
    const brandIds = await this.brandIdsOf?.(session.subject_id);
    // Of two refreshes with one token, only one moves the generation on.
    const [rotated] = await this.db.$queryRawUnsafe<{ generation: number }[]>(
      `UPDATE ${this.table}
         SET generation = generation + 1, rotated_at = now(), expires_at = now() + make_interval(secs => $4)
       WHERE ${live}
       RETURNING generation`,
      presented.sessionId,
      presented.generation,
      brandId,
      REFRESH_TOKEN_TTL_SECONDS,
    );
    if (!rotated) return this.replayed(presented.sessionId, presented.generation);
    const accessToken = await this.signAccess(session.subject_id, brandId, presented.sessionId, brandIds);
    return { accessToken, refreshToken: this.refreshTokens.issue({ sessionId: presented.sessionId, generation: rotated.generation }) };
  }

  /** A token no live session has at its generation: a genuine one of an earlier generation means someone else holds a copy, and ends the session. */
  private async replayed(sessionId: string, generation: number): Promise<'invalid'> {
    const leaked = await this.db.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE ${this.table} SET revoked_at = now() WHERE id = $1::uuid AND generation > $2 AND revoked_at IS NULL RETURNING id`,
      sessionId,
      generation,
    );
    for (const { id } of leaked) await this.onRevoke(id);
    return 'invalid';
  }

  private async signAccess(subject: string, brandId: string, sessionId: string, brandIds?: string[]): Promise<string> {
    return this.tokens.signAccess({ audience: this.audience, subject, brandId, sessionId, ...(brandIds ? { brandIds } : {}) });
  }

  /** Ends a session: its refresh token and its access tokens stop working at once. */
  async revoke(sessionId: string): Promise<void> {
    await this.db.$queryRawUnsafe(
      `UPDATE ${this.table} SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL RETURNING id`,
      sessionId,
    );
    await this.onRevoke(sessionId);
  }

  /**
   * Ends every unexpired session of a subject (a blocked player): all its tokens stop working at
   * once. Sessions already ended are announced again, so a call repeated after the announcement
   * failed (Redis away) still reaches the router.
   */
  async revokeAll(subjectId: string): Promise<void> {
    const ended = await this.db.$queryRawUnsafe<{ id: string }[]>(
      `UPDATE ${this.table} SET revoked_at = coalesce(revoked_at, now()) WHERE subject_id = $1::uuid AND expires_at > now() RETURNING id`,
      subjectId,
    );
    for (const { id } of ended) await this.onRevoke(id);
  }
}
