import { ExpiringCache, type TokenService } from '@rgb/auth';
import { adminRoutes, serviceUnavailable } from '@rgb/contracts';
import { AGENT_BRANDS_CHANGED_CHANNEL, ChangeNotices, type Logger, ServiceCallError, ServiceClient } from '@rgb/kit';

export interface AgentBrandsOptions {
  adminUrl: string;
  redisUrl: string;
  tokens: TokenService;
  log: Logger;
  /** How long an answer serves without a notice: the bound on a change whose notice was lost. */
  ttlMs: number;
}

/**
 * Which brands each agent may serve, as the admin domain's allow-list says, cached per agent
 * until the admin domain announces a change of theirs on Redis (or `ttlMs` passes). A
 * re-subscription after a Redis loss may have missed notices, so it drops every entry. A failed
 * question is not kept, and reaches the caller as SERVICE_UNAVAILABLE: nothing is allowed that
 * cannot be checked.
 */
export class AgentBrands {
  private readonly entries = new ExpiringCache<string, Promise<string[]>>(10_000);
  private readonly admin: ServiceClient;
  private notices: ChangeNotices | undefined;

  constructor(private readonly options: AgentBrandsOptions) {
    this.admin = new ServiceClient({ baseUrl: options.adminUrl, tokens: options.tokens, serviceName: 'agent' });
  }

  async start(): Promise<void> {
    this.notices = await ChangeNotices.follow({
      redisUrl: this.options.redisUrl,
      channel: AGENT_BRANDS_CHANGED_CHANNEL,
      log: this.options.log,
      what: 'agent brands',
      onNotice: (agentId) => this.entries.delete(agentId),
      onSubscribed: () => this.entries.clear(),
    });
  }

  async stop(): Promise<void> {
    await this.notices?.stop();
    await this.admin.close();
  }

  /** The brands the agent may serve; concurrent questions about one agent share one call to the admin domain. */
  brandIds(agentId: string): Promise<string[]> {
    const cached = this.entries.get(agentId);
    if (cached) return cached;
    const asked = this.admin.value(adminRoutes.agentBrands, { agent_id: agentId }).then(
      ({ brand_ids }) => brand_ids,
      (error: unknown) => {
        if (!(error instanceof ServiceCallError)) throw error;
        this.options.log.warn({ err: error, agentId }, 'the admin domain did not answer an agent allow-list lookup');
        throw serviceUnavailable("the agent's brands cannot be checked right now; try again shortly");
      },
    );
    this.entries.set(agentId, asked, Date.now() + this.options.ttlMs);
    asked.catch(() => {
      if (this.entries.get(agentId) === asked) this.entries.delete(agentId);
    });
    return asked;
  }

  async serves(agentId: string, brandId: string): Promise<boolean> {
    return (await this.brandIds(agentId)).includes(brandId);
  }
}
