import { createHmac } from 'node:crypto';
import { DEMO_RECON_DEVICE } from '../../prisma/seed';
import type { PassedOn } from './callbacks';
import { send } from './http';
import type { TestPlatform } from './platform';

/** `MM/DD HH:mm` on a Korean clock, as the banks print it. */
export function seoulClock(at: Date): string {
  const two = (value: number) => String(value).padStart(2, '0');
  const seoul = new Date(at.getTime() + 9 * 60 * 60 * 1000);
  return `${two(seoul.getUTCMonth() + 1)}/${two(seoul.getUTCDate())} ${two(seoul.getUTCHours())}:${two(seoul.getUTCMinutes())}`;
}

/**
 * The seeded phone forwarding one SMS to POST /webhooks/sms, signed with RECON_SMS_SECRET as
 * docs/api/sms-devices.md says: through the router, or `via` one recon listener as the router passes it on.
 */
export async function forwardSms(platform: TestPlatform, sender: string, text: string, receivedAt: Date, via?: PassedOn): Promise<{ status: number; id: string }> {
  const body = JSON.stringify({ device_id: DEMO_RECON_DEVICE.id, sender, body: text, received_at: receivedAt.toISOString() });
  const signature = createHmac('sha256', platform.secrets.RECON_SMS_SECRET).update(body).digest('hex');
  const headers = { 'content-type': 'application/json', host: 'localhost', 'x-signature': signature, ...(via ? { 'x-rgb-router': via.routerProof } : {}) };
  const response = await send(`${via?.url ?? platform.routerUrl}/webhooks/sms`, 'POST', headers, body);
  return { status: response.status, id: (JSON.parse(response.text) as { id: string }).id };
}
