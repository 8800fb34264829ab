// The RGS as a player meets it: launched through the router's launchGame, played at the RGS, paid
// through the router's provider callbacks; the wallet the player reads through the router moves
// by exactly the RGS's rounds, and every balance equals its ledger.
import { formatMoney, parseMoney } from '@rgb/contracts';
import { createPrismaClient, type PrismaClient } from '@rgb/db';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { findLedgerMismatches } from '../subgraphs/wallet/src/reconciliation';
import { fundedPlayer } from './support/callbacks';
import { bootPlatform, type TestPlatform } from './support/platform';

const OPERATOR_KEY = 'e2e-rgs-platform-operator-key';
let platform: TestPlatform;
let prisma: PrismaClient;

beforeAll(async () => {
  platform = await bootPlatform({ RGS_OPERATOR_KEY: OPERATOR_KEY }, { mode: 'single' });
  prisma = createPrismaClient({ databaseUrl: platform.databaseUrl, poolSize: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await platform?.stop();
});

it('launches rgs-dice through launchGame, and me.wallet.balance moves by the RGS rounds exactly', async () => {
  const { token } = await fundedPlayer(platform, 'rgs_player', '50.00');
  const launched = await platform.graphql(`mutation { launchGame(gameCode: "rgs-dice") { url sessionToken } }`, undefined, { token });
  const { url, sessionToken } = launched.body.data.launchGame;
  expect(new URL(url).searchParams.get('session')).toBe(sessionToken);

  const rgs = platform.serviceUrl('rgs');
  const bet = (pick: number, key: string) =>
    fetch(`${rgs}/bets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-operator-key': OPERATOR_KEY, 'idempotency-key': key },
      body: JSON.stringify({ session_token: sessionToken, amount: '2.50', pick }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as { status: string; win_amount: string; round_id: string } }));
  let net = 0n;
  const rounds: string[] = [];
  for (let index = 0; index < 12; index++) {
    const answer = await bet((index % 6) + 1, `e2e-${index}`);
    expect(answer, JSON.stringify(answer.body)).toMatchObject({ status: 200, body: { status: 'SETTLED' } });
    net += parseMoney(answer.body.win_amount, 'USD', { allowZero: true }) - 250n;
    rounds.push(answer.body.round_id);
  }

  const me = await platform.graphql(`{ me { wallet { balance } gameHistory(first: 50) { edges { node { roundId status } } } } }`, undefined, { token });
  expect(me.body.data.me.wallet.balance).toBe(formatMoney(5_000n + net, 'USD'));
  const history = me.body.data.me.gameHistory.edges.map((edge: { node: { roundId: string; status: string } }) => edge.node);
  expect(history.map((round: { roundId: string }) => round.roundId).sort()).toEqual([...rounds].sort());
  for (const round of history) expect(round.status).toBe('CLOSED');
  expect(await findLedgerMismatches(prisma)).toEqual([]);
});
