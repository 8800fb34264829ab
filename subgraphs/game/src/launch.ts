import { forbidden, notFound } from '@rgb/contracts';
import type { BrandRef, CallContext } from '@rgb/kit';
import { SignJWT } from 'jose';
import type { GameCatalog } from './catalog';
import { accountName, type PlayerDirectory } from './players';

export interface LaunchDeps {
  catalog: GameCatalog;
  players: PlayerDirectory;
  /** Signs the session token handed to the provider. */
  sessionKey: Uint8Array;
}

/**
 * Opens a game for a player: checks the game, its provider and the player, names the player's
 * provider account `{brand_code}_{username}`, and returns the provider's URL with a session
 * token signed by the platform (the RGS will issue its own sessions once it exists).
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
