import type { AuthTokens } from '@rgb/auth';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, signedIn, startSeededTestSubgraph, type SeededTestSubgraph } from '@rgb/kit/testing';
import { playerSubgraph } from '../src/index';

export const PASSWORD = 'password-123';

export const REGISTER = `mutation ($input: RegisterPlayerInput!) { registerPlayer(input: $input) { accessToken refreshToken } }`;
export const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { accessToken refreshToken } }`;
export const REFRESH = `mutation ($token: String!) { refreshToken(refreshToken: $token) { accessToken refreshToken } }`;

export const startPlayerSubgraph = (env?: NodeJS.ProcessEnv): Promise<SeededTestSubgraph> => startSeededTestSubgraph(playerSubgraph, { env });

export interface Registered {
  id: string;
  tokens: AuthTokens;
  /** The context the router forwards for requests bearing this player's access token. */
  context: ForwardedContext;
}

/** Registers a player on `brand` (nicknamed as their username unless told) and returns who they are, as their access token says. */
export async function register(server: SeededTestSubgraph, brand: BrandRef, username: string, nickname = username): Promise<Registered> {
  const response = await server.graphql<{ registerPlayer: AuthTokens }>(
    REGISTER,
    { input: { username, password: PASSWORD, nickname } },
    anonymous(brand),
  );
  const tokens = response.body.data?.registerPlayer;
  if (!tokens) throw new Error(`registering ${username} failed: ${JSON.stringify(response.body.errors)}`);
  const claims = await server.deps.userTokens.verify(tokens.accessToken, ['player']);
  if (claims.audience === 'service') throw new Error('a player token came back as a service token');
  return { id: claims.subject, tokens, context: signedIn(brand, 'player', claims.subject, claims.sessionId) };
}

/** A STAFF_ACTION_RECORDED payload as the player outbox holds it. */
export interface StaffActionPayload {
  staff_id: string;
  action: string;
  target_type: string;
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  request_id: string | null;
}

/** The staff actions written to the player outbox about `targetId`, oldest first. */
export async function staffActions(server: SeededTestSubgraph, targetId: string): Promise<StaffActionPayload[]> {
  const rows = await server.deps.prisma.playerOutbox.findMany({
    where: { eventType: 'STAFF_ACTION_RECORDED', envelope: { path: ['aggregate_id'], equals: targetId } },
    orderBy: { id: 'asc' },
  });
  return rows.map((row) => (row.envelope as unknown as { payload: StaffActionPayload }).payload);
}
