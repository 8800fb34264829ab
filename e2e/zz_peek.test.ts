import { it } from 'vitest';
import { bootPlatform } from '/work/main/e2e/support/platform';
it('peek', async () => {
  const p = await bootPlatform();
  try {
    const { accessToken } = await p.register('peek_user');
    console.log(JSON.stringify((await p.graphql(`mutation { requestDeposit(input: { amount: 25.5, depositorName: "F" }) { id } }`, undefined, { token: accessToken })).body));
    console.log(JSON.stringify((await p.graphql(`mutation ($input: DepositInput!) { requestDeposit(input: $input) { id } }`, { input: { amount: 25.5, depositorName: 'F' } }, { token: accessToken })).body));
    const r = await p.post('/internal/wallet/bets', '{}'); console.log(r.status, r.text);
  } finally { await p.stop(); }
}, 120000);
