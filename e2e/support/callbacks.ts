import { createHmac } from 'node:crypto';
import { send, type HttpResult } from './http';

/** X-Signature as CONTRACT.md "Provider callbacks" has providers sign: hex HMAC-SHA256 of the raw body. */
export const signatureOf = (raw: string, secret: string) => createHmac('sha256', secret).update(raw).digest('hex');

/** POSTs the raw body to `/callbacks/{provider}/{action}` on the router, signed with `secret`. */
export function postCallback(routerUrl: string, provider: string, action: string, raw: string, secret: string): Promise<HttpResult> {
  return send(`${routerUrl}/callbacks/${provider}/${action}`, 'POST', { 'content-type': 'application/json', 'x-signature': signatureOf(raw, secret) }, raw);
}
