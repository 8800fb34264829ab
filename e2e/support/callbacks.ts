import { createHmac } from 'node:crypto';
import { type HttpResult, send } from './http';
import type { TestPlatform } from './platform';

/** Where a callback goes instead of the router: one game instance's listener, with the router's proof (`x-rgb-router`) as the router passes it on. */
export interface PassedOn {
  url: string;
  routerProof: string;
}

/**
 * Sends `raw` to `/callbacks/{provider}/{action}` through the router (or `via` one listener),
 * signed with `secret` as a provider signs it (docs/api/providers.md).
 */
export function sendSignedCallback(platform: TestPlatform, action: string, raw: string | Buffer, secret: string, provider = 'demo', via?: PassedOn): Promise<HttpResult> {
  const signature = createHmac('sha256', secret).update(raw).digest('hex');
  const headers = { 'content-type': 'application/json', 'x-signature': signature, ...(via ? { 'x-rgb-router': via.routerProof } : {}) };
  return send(`${via?.url ?? platform.routerUrl}/callbacks/${provider}/${action}`, 'POST', headers, raw);
}

/** A player registered on demo with `deposit` approved by staff; returns the provider account name and the player's token. */
export async function fundedPlayer(platform: TestPlatform, username: string, deposit = '100.00'): Promise<{ account: string; token: string }> {
  const { accessToken } = await platform.register(username);
  const staff = await platform.graphql(`mutation ($p: String!) { staffLogin(input: { username: "admin", password: $p }) { accessToken } }`, { p: platform.secrets.ADMIN_PASSWORD });
  const request = await platform.graphql(`mutation ($a: Money!) { requestDeposit(input: { amount: $a, depositorName: "E2E" }) { id } }`, { a: deposit }, { token: accessToken });
  await platform.graphql(`mutation ($id: ID!) { approveDeposit(id: $id) { status } }`, { id: request.body.data.requestDeposit.id }, { token: staff.body.data.staffLogin.accessToken });
  return { account: `demo_${username}`, token: accessToken };
}
