import type { Game, PrismaClient, Provider } from '@rgb/db';

/**
 * Providers and games change rarely and are read on every callback: kept in memory for a few
 * seconds, so enabling or disabling one takes effect within that time.
 */
export class GameCatalog {
  private providers = new Map<string, Provider>();
  private games = new Map<string, Game>();
  private loadedAt = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly maxAgeMs = 5_000,
  ) {}

  async provider(code: string): Promise<Provider | undefined> {
    await this.fresh();
    return this.providers.get(code);
  }

  async providerById(id: string): Promise<Provider | undefined> {
    await this.fresh();
    return [...this.providers.values()].find((provider) => provider.id === id);
  }

  async game(code: string): Promise<Game | undefined> {
    await this.fresh();
    return this.games.get(code);
  }

  /** Forget the copy (after a change made here). */
  invalidate(): void {
    this.loadedAt = 0;
  }

  private async fresh(): Promise<void> {
    if (Date.now() - this.loadedAt < this.maxAgeMs) return;
    const [providers, games] = await Promise.all([this.prisma.provider.findMany(), this.prisma.game.findMany()]);
    this.providers = new Map(providers.map((provider) => [provider.code, provider]));
    this.games = new Map(games.map((game) => [game.code, game]));
    this.loadedAt = Date.now();
  }
}
