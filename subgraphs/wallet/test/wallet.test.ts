import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrandRef, ForwardedContext } from '@rgb/kit';
import { anonymous, firstError, signedIn, staffWith, type SeededTestSubgraph } from '@rgb/kit/testing';
import { startWallet } from './helpers';

let server: SeededTestSubgraph;
beforeAll(async () => {
  server = await startWallet();
});
afterAll(() => server?.close());

const WALLETS = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Player { id wallet { balance currency } } } }`;
const walletsOf = (context: ForwardedContext, ...playerIds: string[]) =>
  server.graphql<{ _entities: { id: string; wallet: { balance: string; currency: string } }[] }>(
    WALLETS,
    { representations: playerIds.map((id) => ({ __typename: 'Player', id })) },
    context,
  );
const asPlayer = (id: string, brand: BrandRef = server.brands.demo) => signedIn(brand, 'player', id);
const asStaff = (brand: BrandRef = server.brands.demo) => signedIn(brand, 'staff', randomUUID());

describe('Player.wallet without an account', () => {
  it('is a zero balance in the brand currency: "0.00" USD on demo, "0" KRW on acme', async () => {
    const player = randomUUID();
    expect((await walletsOf(asPlayer(player), player)).body.data?._entities).toEqual([
      { id: player, wallet: { balance: '0.00', currency: 'USD' } },
    ]);
    expect((await walletsOf(asPlayer(player, server.brands.acme), player)).body.data?._entities).toEqual([
      { id: player, wallet: { balance: '0', currency: 'KRW' } },
    ]);
  });
});

describe('Player.wallet with an account', () => {
  it('shows the balance in major units ("10.50" for 1050 cents)', async () => {
    const player = randomUUID();
    await server.deps.prisma.walletAccount.create({
      data: { brandId: server.brands.demo.id, playerId: player, currency: 'USD', balance: 1050n },
    });
    expect((await walletsOf(asPlayer(player), player)).body.data?._entities).toEqual([
      { id: player, wallet: { balance: '10.50', currency: 'USD' } },
    ]);
  });
});

describe('who may read a wallet', () => {
  it("is FORBIDDEN for a player reading another player's wallet", async () => {
    const response = await walletsOf(asPlayer(randomUUID()), randomUUID());
    expect(firstError(response)?.code).toBe('FORBIDDEN');
  });

  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    expect(firstError(await walletsOf(anonymous(server.brands.demo), randomUUID()))?.code).toBe('UNAUTHENTICATED');
  });

  it('is FORBIDDEN, naming the permission, for staff without wallets.read', async () => {
    const error = firstError(await walletsOf(staffWith(server.brands.demo, randomUUID(), ['players.read']), randomUUID()));
    expect(error).toEqual({ code: 'FORBIDDEN', message: 'this operation needs the wallets.read permission' });
  });

  it("lets staff read any player's wallet of the brand", async () => {
    const [funded, unfunded] = [randomUUID(), randomUUID()];
    await server.deps.prisma.walletAccount.create({
      data: { brandId: server.brands.demo.id, playerId: funded, currency: 'USD', balance: 7n },
    });
    expect((await walletsOf(asStaff(), funded, unfunded)).body).toEqual({
      data: {
        _entities: [
          { id: funded, wallet: { balance: '0.07', currency: 'USD' } },
          { id: unfunded, wallet: { balance: '0.00', currency: 'USD' } },
        ],
      },
    });
  });
});
