import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { TokenService } from '@rgb/auth';
import { adminRoutes, type CatalogBrand } from '@rgb/contracts';
import { ChangeNotices } from './change-notices';
import { ServiceClient } from './service-client';

export type { CatalogBrand };

/** Redis channel the admin domain publishes on whenever a brand or a domain changes. */
export const BRANDS_CHANGED_CHANNEL = 'rgb:brands:changed';

export interface BrandCatalogOptions {
  adminUrl: string;
  redisUrl: string;
  serviceName: string;
  tokens: TokenService;
  log: Logger;
  /** Fallback refresh in case a change notification was missed. */
  refreshIntervalMs?: number;
}

/**
 * The brands and their domains, owned by the admin domain, cached in memory. Reloaded on
 * every change notification and on a slow timer; a failed reload keeps the last good copy.
 */
export class BrandCatalog {
  private byHostMap = new Map<string, CatalogBrand>();
  private byIdMap = new Map<string, CatalogBrand>();
  private byCodeMap = new Map<string, CatalogBrand>();
  private notices: ChangeNotices | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Reloads started and the latest one applied: an older answer arriving late never replaces a newer one. */
  private reloadsStarted = 0;
  private reloadApplied = 0;
  private readonly admin: ServiceClient;

  constructor(private readonly options: BrandCatalogOptions) {
    this.admin = new ServiceClient({ baseUrl: options.adminUrl, tokens: options.tokens, serviceName: options.serviceName });
  }

  /** Loads the catalogue, waiting for the admin service up to `timeoutMs`, then follows changes. */
  async start(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.reload();
        break;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`brand catalogue unavailable from ${this.options.adminUrl}: ${String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    this.notices = await ChangeNotices.follow({
      redisUrl: this.options.redisUrl,
      channel: BRANDS_CHANGED_CHANNEL,
      log: this.options.log,
      what: 'brand catalogue',
      onNotice: () => void this.reloadLogged('change notification'),
      // A re-subscription after a Redis outage may have missed changes: reload then too.
      onSubscribed: () => void this.reloadLogged('redis reconnected'),
    });
    this.timer = setInterval(() => void this.reloadLogged('timer'), this.options.refreshIntervalMs ?? 60_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.notices?.stop();
    await this.admin.close();
  }

  get size(): number {
    return this.byIdMap.size;
  }

  byHost(host: string): CatalogBrand | undefined {
    return this.byHostMap.get(normalizeHost(host));
  }

  /** Every brand of the catalogue. */
  all(): CatalogBrand[] {
    return [...this.byIdMap.values()];
  }

  byId(id: string): CatalogBrand | undefined {
    return this.byIdMap.get(id);
  }

  byCode(code: string): CatalogBrand | undefined {
    return this.byCodeMap.get(code);
  }

  async reload(): Promise<void> {
    const reload = ++this.reloadsStarted;
    const { brands } = await this.admin.value(adminRoutes.brands, {});
    if (reload < this.reloadApplied) return;
    this.reloadApplied = reload;
    this.byHostMap = new Map(brands.flatMap((brand) => brand.domains.map((host) => [normalizeHost(host), brand] as const)));
    this.byIdMap = new Map(brands.map((brand) => [brand.id, brand]));
    this.byCodeMap = new Map(brands.map((brand) => [brand.code, brand]));
  }

  private async reloadLogged(reason: string): Promise<void> {
    try {
      await this.reload();
      this.options.log.debug({ reason, brands: this.byIdMap.size }, 'brand catalogue reloaded');
    } catch (error) {
      this.options.log.error({ err: error, reason }, 'brand catalogue reload failed; keeping the last good copy');
    }
  }
}

/**
 * Host header value (or stored domain) to catalogue key: lower case, port and trailing dot
 * removed. IPv6 addresses keep their brackets; a bare one (a stored domain) gets them, so
 * `::1` and a `[::1]:8080` Host header meet, and its last group is not taken for a port.
 */
export function normalizeHost(host: string): string {
  const lower = host.trim().toLowerCase();
  if (lower.startsWith('[')) {
    const end = lower.indexOf(']');
    return end === -1 ? lower : lower.slice(0, end + 1);
  }
  if (lower.indexOf(':') !== lower.lastIndexOf(':')) return `[${lower}]`;
  return lower.replace(/:\d+$/, '').replace(/\.$/, '');
}

/** Tells every running catalogue to reload (after a brand or domain changed). */
export async function publishBrandsChanged(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await redis.publish(BRANDS_CHANGED_CHANNEL, String(Date.now()));
  } finally {
    redis.disconnect();
  }
}
