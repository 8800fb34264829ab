import { forbidden, notFound, RGS_PROVIDER_CODE } from '@rgb/contracts';
import type { BrandRef, CallContext } from '@rgb/kit';
import { SignJWT } from 'jose';
import type { GameCatalog } from './catalog';
import { accountName, type PlayerDirectory } from './players';
import type { RgsLauncher } from './rgs';

export interface LaunchDeps {
  catalog: GameCatalog;
  players: PlayerDirectory;
  /** Signs the session token handed to an outside provider. */
  sessionKey: Uint8Array;
  /** Opens sessions of the platform's own RGS (provider `rgs`). */
  rgs: RgsLauncher;
}

/**
 * Opens a game for a player: checks the game, its provider and the player, and names the player's
 * provider account `{brand_code}_{username}`. A game of the RGS is launched there (its URL and its
 * session token); any other provider gets its launch URL with a session token signed by the platform.
 */
export async function launchGame(deps: LaunchDeps, brand: BrandRef, playerId: string, gameCode: string, context: CallContext): Promise<{ url: string; sessionToken: string }> {
  const game = await deps.catalog.game(gameCode);
  const provider = game && (await deps.catalog.providerById(game.providerId));
  if (!game || !provider) throw notFound(`no game ${gameCode}`);
  if (!game.enabled || !provider.enabled) throw forbidden(`${gameCode} is not available`);
  const player = await deps.players.byId(brand.id, playerId, context);
  if (!player) throw notFound('no such player');
  if (player.status !== 'ACTIVE') throw forbidden('account blocked');
  const account = accountName(brand.code, player.username);
  await deps.players.remember(provider.id, brand.id, player.id, account);
  if (provider.code === RGS_PROVIDER_CODE) {
    const session = await deps.rgs.launch({ player_id: account, currency: brand.currency, game_code: game.code }, context);
    return { url: session.url, sessionToken: session.session_token };
  }
  const sessionToken = await new SignJWT({ account, game: game.code, currency: brand.currency })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('rgb')
    .setAudience(`provider:${provider.code}`)
    .setSubject(player.id)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(deps.sessionKey);
  const url = new URL(provider.launchUrl);
  url.searchParams.set('game', game.code);
  url.searchParams.set('session', sessionToken);
  return { url: url.toString(), sessionToken };
}
