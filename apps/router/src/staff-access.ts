import { ExpiringCache, type TokenService } from '@rgb/auth';
import { adminRoutes, ErrorCode, type StaffAccess } from '@rgb/contracts';
import { admitStaff, ANY_STAFF, ChangeNotices, ServiceClient, STAFF_ACCESS_CHANGED_CHANNEL, type Logger, type UserCaller } from '@rgb/kit';
import { EdgeRefusal } from './edge-refusal';

export interface StaffAccessOptions {
  adminUrl: string;
  redisUrl: string;
  tokens: TokenService;
  log: Logger;
  /** How long an entry serves without a notice: the bound on a change whose notice was lost. */
  ttlMs?: number;
}

/**
 * What each staff member may do, as the admin domain says, cached per staff id until the admin
 * domain announces a change of theirs (or of a role: then of everyone) on Redis. A
 * re-subscription after a Redis loss may have missed notices, so it drops every entry.
 */
export class StaffAccessCache {
  private readonly entries = new ExpiringCache<string, Promise<StaffAccess | null>>(10_000);
  private readonly admin: ServiceClient;
  private notices: ChangeNotices | undefined;
  private readonly listeners: ((staffId: string) => void)[] = [];

  constructor(private readonly options: StaffAccessOptions) {
    this.admin = new ServiceClient({ baseUrl: options.adminUrl, tokens: options.tokens, serviceName: 'router' });
  }

  async start(): Promise<void> {
    this.notices = await ChangeNotices.follow({
      redisUrl: this.options.redisUrl,
      channel: STAFF_ACCESS_CHANGED_CHANNEL,
      log: this.options.log,
      what: 'staff access',
      onNotice: (staffId) => {
        if (staffId === ANY_STAFF) this.entries.clear();
        else this.entries.delete(staffId);
        this.changed(staffId);
      },
      onSubscribed: () => {
        this.entries.clear();
        this.changed(ANY_STAFF);
      },
    });
  }

  /**
   * Calls `listener` with a staff id whose access may have changed, or ANY_STAFF (a role changed,
   * or notices may have been missed): what holds access for longer than a request (a live
   * subscription) checks it again.
   */
  onChange(listener: (staffId: string) => void): void {
    this.listeners.push(listener);
  }

  private changed(staffId: string): void {
    for (const listener of this.listeners) listener(staffId);
  }

  async stop(): Promise<void> {
    await this.notices?.stop();
    await this.admin.close();
  }

  /** Concurrent requests of one staff member share one question to the admin domain; a failed one is not kept. */
  access(staffId: string): Promise<StaffAccess | null> {
    const cached = this.entries.get(staffId);
    if (cached) return cached;
    const asked = this.admin.value(adminRoutes.staffAccess, { staff_id: staffId }).then(({ access }) => access);
    this.entries.set(staffId, asked, Date.now() + (this.options.ttlMs ?? 30_000));
    asked.catch(() => {
      if (this.entries.get(staffId) === asked) this.entries.delete(staffId);
    });
    return asked;
  }
}

/**
 * A staff caller with the grant they hold now on `brandId`, or the refusal: 401 for a disabled
 * or deleted account, 403 for a brand out of their scope, 503 while the admin domain cannot say.
 */
export async function admitStaffCaller(cache: StaffAccessCache, caller: UserCaller, brandId: string, log: Logger): Promise<UserCaller> {
  let access: StaffAccess | null;
  try {
    access = await cache.access(caller.id);
  } catch (error) {
    log.error({ err: error, staff_id: caller.id }, 'staff access unavailable from the admin domain; refusing the staff request');
    throw new EdgeRefusal(503, ErrorCode.SERVICE_UNAVAILABLE, 'staff access cannot be checked now; retry shortly');
  }
  const admission = admitStaff(access, brandId);
  if (!admission.admitted) {
    throw new EdgeRefusal(admission.status, admission.status === 401 ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN, admission.reason);
  }
  return { ...caller, access: admission.grant };
}
