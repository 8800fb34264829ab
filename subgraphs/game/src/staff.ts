import { forbidden } from '@rgb/contracts';
import type { InternalClient } from '@rgb/kit';

/**
 * Staff who may change what every brand shares (the game catalogue, provider integrations): the
 * admin domain says, asked each time, since such changes are rare and access may just have changed.
 */
export class PlatformStaff {
  constructor(private readonly admin: InternalClient) {}

  async has(staffId: string): Promise<boolean> {
    const response = await this.admin.call<{ platform_access: boolean }>('GET', `/internal/staff/${encodeURIComponent(staffId)}/platform-access`);
    if (response.status !== 200) throw new Error(`admin staff access answered ${response.status}`);
    return response.body.platform_access === true;
  }

  async require(staffId: string): Promise<void> {
    if (!(await this.has(staffId))) throw forbidden('only staff with access to every brand may change what every brand shares');
  }
}
