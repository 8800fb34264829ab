import type { TokenService } from '@rgb/auth';
import { adminRoutes, type BrandConfigContract } from '@rgb/contracts';
import type { Logger } from 'pino';
import { BRANDS_CHANGED_CHANNEL } from './brand-catalog';
import { ChangeNotices } from './change-notices';
import { ServiceClient } from './service-client';

export interface BrandConfigsOptions {
  adminUrl: string;
  redisUrl: string;
  serviceName: string;
  tokens: TokenService;
  log: Logger;
  /** A cached config is read again after this long, in case a change notice was lost (60 s). */
  maxAgeMs?: number;
}

/**
 * The brands' configs, owned by the admin domain, read on first use and cached: dropped when the
 * admin announces a change of the brand (or any, after a Redis reconnection may have lost one),
 * and after `maxAgeMs` at the latest. A failed read throws; the caller's work is retried later.
 */
export class BrandConfigs {
  private readonly cache = new Map<string, { config: BrandConfigContract | null; readAt: number }>();
  private readonly admin: ServiceClient;
  private notices: ChangeNotices | undefined;
  /** Bumped by every notice, so a read that began before a change is not cached as current. */
  private generation = 0;

  constructor(private readonly options: BrandConfigsOptions) {
    this.admin = new ServiceClient({ baseUrl: options.adminUrl, tokens: options.tokens, serviceName: options.serviceName });
  }

  async start(): Promise<void> {
    this.notices = await ChangeNotices.follow({
      redisUrl: this.options.redisUrl,
      channel: BRANDS_CHANGED_CHANNEL,
      log: this.options.log,
      what: 'brand configs',
      onNotice: (brandId) => {
        this.generation += 1;
        this.cache.delete(brandId);
      },
      onSubscribed: () => {
        this.generation += 1;
        this.cache.clear();
      },
    });
  }

  /** The brand's config; null for a brand the admin domain does not know. */
  async get(brandId: string): Promise<BrandConfigContract | null> {
    const cached = this.cache.get(brandId);
    if (cached && Date.now() - cached.readAt < (this.options.maxAgeMs ?? 60_000)) return cached.config;
    const generation = this.generation;
    const { config } = await this.admin.value(adminRoutes.brandConfig, { brand_id: brandId });
    if (generation === this.generation) this.cache.set(brandId, { config, readAt: Date.now() });
    return config;
  }

  async stop(): Promise<void> {
    await this.notices?.stop();
    await this.admin.close();
  }
}
