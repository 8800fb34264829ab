import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anonymous, firstError, signedIn, type SeededTestSubgraph } from '@rgb/kit/testing';
import { register, startPlayerSubgraph, type Registered } from './helpers';

let server: SeededTestSubgraph;
let alice: Registered;
let bob: Registered;
let acmeCarol: Registered;
beforeAll(async () => {
  server = await startPlayerSubgraph();
  alice = await register(server, server.brands.demo, 'alice');
  bob = await register(server, server.brands.demo, 'bob_player');
  acmeCarol = await register(server, server.brands.acme, 'carol');
});
afterAll(() => server?.close());

const ME = `{ me { id username nickname status } }`;
const PLAYER = `query ($id: ID!) { player(id: $id) { id username } }`;
const staffOf = (brand = server.brands.demo) => signedIn(brand, 'staff', randomUUID());

describe('me', () => {
  it('is null for an anonymous caller', async () => {
    expect((await server.graphql(ME, undefined, anonymous(server.brands.demo))).body).toEqual({ data: { me: null } });
  });

  it('is the calling player', async () => {
    const response = await server.graphql(ME, undefined, alice.context);
    expect(response.body).toEqual({ data: { me: { id: alice.id, username: 'alice', nickname: 'alice', status: 'ACTIVE' } } });
  });
});

describe('player(id)', () => {
  it('is FORBIDDEN to a player', async () => {
    const response = await server.graphql(PLAYER, { id: bob.id }, alice.context);
    expect(firstError(response)?.code).toBe('FORBIDDEN');
  });

  it('finds a player of the brand for staff', async () => {
    const response = await server.graphql(PLAYER, { id: bob.id }, staffOf());
    expect(response.body).toEqual({ data: { player: { id: bob.id, username: 'bob_player' } } });
  });

  it("is null for another brand's player, and for an id that is not a UUID", async () => {
    expect((await server.graphql(PLAYER, { id: acmeCarol.id }, staffOf())).body).toEqual({ data: { player: null } });
    expect((await server.graphql(PLAYER, { id: 'nope' }, staffOf())).body).toEqual({ data: { player: null } });
  });
});

describe('_entities(Player)', () => {
  const ENTITIES = `query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Player { id username } } }`;
  const representations = (...ids: string[]) => ids.map((id) => ({ __typename: 'Player', id }));

  it("resolves several players in one query, in the representations' order, null for a missing or other-brand id", async () => {
    server.operations.length = 0;
    const response = await server.graphql(ENTITIES, { representations: representations(bob.id, randomUUID(), alice.id, acmeCarol.id) }, staffOf());
    expect(response.body).toEqual({
      data: { _entities: [{ id: bob.id, username: 'bob_player' }, null, { id: alice.id, username: 'alice' }, null] },
    });
    expect(server.operations).toEqual(['Player.findMany']);
  });
});
