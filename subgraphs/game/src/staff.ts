import { adminRoutes, forbidden } from '@rgb/contracts';
import type { CallContext, ServiceClient } from '@rgb/kit';

/**
 * Staff who may change what every brand shares (the game catalogue, provider integrations): the
 * admin domain says, asked each time, since such changes are rare and access may just have changed.
 */
export class PlatformStaff {
  constructor(private readonly admin: ServiceClient) {}

  async has(staffId: string, context: CallContext): Promise<boolean> {
    return (await this.admin.value(adminRoutes.platformAccess, { staff_id: staffId }, context)).platform_access;
  }

  async require(staffId: string, context: CallContext): Promise<void> {
    if (!(await this.has(staffId, context))) throw forbidden('only staff with access to every brand may change what every brand shares');
  }
}
