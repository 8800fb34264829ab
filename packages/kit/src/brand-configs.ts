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

interface Cached {
  config: BrandConfigContract | null;
  readAt: number;
}

/**
 * The brands' configs, owned by the admin domain, read on first use and cached: read again
 * when the admin announces a change of the brand (or of any, after a Redis reconnection may have
 * lost one), and after `maxAgeMs` at the latest. One read per brand at a time, whoever asks. While
 * the admin cannot answer, the last config read is used (and the failure logged): a brief admin
 * outage holds up nothing that has read a brand's config before; only a brand never read fails.
 */
export class BrandConfigs {
  private readonly cache = new Map<string, Cached>();
  private readonly reading = new Map<string, Promise<BrandConfigContract | null>>();
  private readonly admin: ServiceClient;
  private notices: ChangeNotices | undefined;
  /** Bumped by every notice, so a read that began before a change is not taken as current. */
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
      onNotice: (brandId) => this.outdate(brandId),
      onSubscribed: () => this.outdate(),
    });
  }

  /** The brand's config; null for a brand the admin domain does not know. */
  async get(brandId: string): Promise<BrandConfigContract | null> {
    const cached = this.cache.get(brandId);
    if (cached && Date.now() - cached.readAt < (this.options.maxAgeMs ?? 60_000)) return cached.config;
    let read = this.reading.get(brandId);
    if (!read) {
      read = this.read(brandId).finally(() => this.reading.delete(brandId));
      this.reading.set(brandId, read);
    }
    try {
      return await read;
    } catch (error) {
      if (!cached) throw error;
      this.options.log.warn({ err: error, brand_id: brandId }, 'brand config unreadable: using the one read before');
      return cached.config;
    }
  }

  async stop(): Promise<void> {
    await this.notices?.stop();
    await this.admin.close();
  }

  private async read(brandId: string): Promise<BrandConfigContract | null> {
    const generation = this.generation;
    const { config } = await this.admin.value(adminRoutes.brandConfig, { brand_id: brandId });
    // A change announced meanwhile may be missing from this answer: keep it, but as already old.
    this.cache.set(brandId, { config, readAt: generation === this.generation ? Date.now() : 0 });
    return config;
  }

  /** Marks a brand's config (every brand's, without one) to be read again, keeping it for an admin that cannot answer. */
  private outdate(brandId?: string): void {
    this.generation += 1;
    for (const [id, cached] of this.cache) if (!brandId || id === brandId) cached.readAt = 0;
  }
}
