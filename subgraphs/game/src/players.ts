import type { PrismaClient, Provider } from '@rgb/db';
import { ExpiringCache } from '@rgb/auth';
import { type PlayerInfo, playerRoutes, type RouteRequest } from '@rgb/contracts';
import type { BrandCatalog, CallContext, CatalogBrand, ServiceClient } from '@rgb/kit';

export interface ResolvedAccount {
  brand: CatalogBrand;
  playerId: string;
}

/** `{brand_code}_{username}` (ADR-009): brand codes hold no underscore, usernames may. */
export function accountName(brandCode: string, username: string): string {
  return `${brandCode}_${username}`;
}

const ACCOUNT = /^([a-z0-9]+)_([a-z0-9_]{4,20})$/;

/** Players as the game domain sees them: through the player domain's internal API, briefly cached. */
export class PlayerDirectory {
  private readonly statuses = new Map<string, { status: PlayerInfo['status']; until: number }>();
  /** Provider accounts never change once named: resolved ones are kept (bounded). */
  private readonly accounts = new ExpiringCache<string, ResolvedAccount>(100_000);

  constructor(
    private readonly prisma: PrismaClient,
    private readonly players: ServiceClient,
    private readonly brands: BrandCatalog,
    private readonly statusTtlMs = 5_000,
  ) {}

  async byId(brandId: string, id: string, context: CallContext): Promise<PlayerInfo | null> {
    return this.lookup({ brand_id: brandId, id }, context);
  }

  /**
   * The brand and player a provider account names; null when it does not parse or names no player
   * of that brand. The account is remembered, so later callbacks need no lookup.
   */
  async resolveAccount(provider: Provider, account: string, context: CallContext): Promise<ResolvedAccount | null> {
    const cacheKey = `${provider.id}:${account}`;
    const cached = this.accounts.get(cacheKey);
    if (cached) return cached;
    const match = ACCOUNT.exec(account);
    const brand = match ? this.brands.byCode(match[1]!) : undefined;
    if (!match || !brand) return null;
    const known = await this.prisma.providerAccount.findUnique({
      where: { providerId_accountName: { providerId: provider.id, accountName: account } },
    });
    let resolved: ResolvedAccount | null = null;
    if (known) {
      resolved = known.brandId === brand.id ? { brand, playerId: known.playerId } : null;
    } else {
      const player = await this.lookup({ brand_id: brand.id, username: match[2]! }, context);
      if (player) {
        await this.remember(provider.id, brand.id, player.id, account);
        resolved = { brand, playerId: player.id };
      }
    }
    if (resolved) this.accounts.set(cacheKey, resolved, Number.MAX_SAFE_INTEGER);
    return resolved;
  }

  /**
   * Writes the player's provider account once. Concurrent first callbacks and launches all write
   * it, so it is one insert that yields to a row already there on either unique key (name, or
   * player): usernames never change, so such a row is this same account.
   */
  async remember(providerId: string, brandId: string, playerId: string, name: string): Promise<void> {
    await this.prisma.$executeRawUnsafe(
      `INSERT INTO game.provider_account (id, provider_id, brand_id, player_id, account_name)
       VALUES (gen_random_uuid(), $1::uuid, $2::uuid, $3::uuid, $4)
       ON CONFLICT DO NOTHING`,
      providerId,
      brandId,
      playerId,
      name,
    );
  }

  /** Whether the player may bet: a blocked player's bets are refused within `statusTtlMs` of the block. */
  async isBlocked(brandId: string, playerId: string, context: CallContext): Promise<boolean> {
    const cached = this.statuses.get(playerId);
    if (cached && cached.until > Date.now()) return cached.status === 'BLOCKED';
    const player = await this.byId(brandId, playerId, context);
    const status = player?.status ?? 'BLOCKED';
    this.statuses.set(playerId, { status, until: Date.now() + this.statusTtlMs });
    return status === 'BLOCKED';
  }

  private async lookup(by: RouteRequest<typeof playerRoutes.find>, context: CallContext): Promise<PlayerInfo | null> {
    const result = await this.players.call(playerRoutes.find, by, context);
    if (result.ok) return result.value;
    if (result.refusal.code === 'NOT_FOUND') return null;
    throw new Error(`player lookup refused: ${result.refusal.code}: ${result.refusal.message}`);
  }
}
