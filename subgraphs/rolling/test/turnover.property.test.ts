import { randomUUID } from 'node:crypto';
import { waitFor } from '@rgb/kit/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  bet,
  depositApproved,
  type RollingPlatform,
  requirementsOf,
  rollingOutbox,
  setContributions,
  startRollingPlatform,
  type WalletEvent,
  walletOutbox,
} from './support';

/**
 * Random sequences of the wallet's events for two players (deposits approved at random times,
 * bets of random categories and stakes, further wins (another settlement of a bet, which the
 * wallet sends with a zero stake), rollbacks of earlier bets and of bets not settled yet, exact
 * repeats of earlier events, a
 * rollback published before its settlement) go through the real stream and rolling_worker; every
 * requirement's accrued turnover and status must be those of a model of the rules written here,
 * apart from the domain's code.
 */
let platform: RollingPlatform;
beforeAll(async () => {
  platform = await startRollingPlatform();
  await setContributions(platform, platform.brands.acme, CONTRIBUTIONS);
});
afterAll(() => platform?.close());

const CONTRIBUTIONS = { slotsBps: 10_000, liveCasinoBps: 1_000, tableBps: 2_500, otherBps: 500 };
/** acme's deposit multiplier in the seed: turned over once. */
const MULTIPLIER_BPS = 10_000n;
const CATEGORY_BPS = new Map([
  ['SLOTS', CONTRIBUTIONS.slotsBps],
  ['LIVE_CASINO', CONTRIBUTIONS.liveCasinoBps],
  ['TABLE', CONTRIBUTIONS.tableBps],
]);
const CATEGORIES = ['SLOTS', 'SLOTS', 'LIVE_CASINO', 'TABLE', 'OTHER', 'CRASH'];

type Step =
  | { kind: 'deposit'; who: number; amount: number; minute: number }
  | { kind: 'bet'; who: number; stake: number; category: string }
  | { kind: 'win'; pick: number }
  | { kind: 'rollback'; pick: number }
  | { kind: 'rollbackFirst'; who: number; stake: number; category: string; settleAfter: number | null }
  | { kind: 'repeat'; pick: number };

const who = fc.integer({ min: 0, max: 1 });
const pick = fc.nat();
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('deposit' as const), who, amount: fc.integer({ min: 1, max: 20_000 }), minute: fc.integer({ min: 0, max: 600 }) }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('bet' as const), who, stake: fc.integer({ min: 1, max: 12_000 }), category: fc.constantFrom(...CATEGORIES) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('win' as const), pick }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('rollback' as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('rollbackFirst' as const),
      who,
      stake: fc.integer({ min: 1, max: 12_000 }),
      category: fc.constantFrom(...CATEGORIES),
      settleAfter: fc.option(fc.nat({ max: 5 })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const), pick }) },
);

/** The events of a sequence, in the order they are published. */
function eventsOf(steps: Step[], players: string[]): WalletEvent[] {
  const acme = platform.brands.acme;
  const base = Date.now() - 86_400_000;
  const events: WalletEvent[] = [];
  const bets: ReturnType<typeof bet>[] = [];
  /** Settlements of bets rolled back first, published that many steps later. */
  const deferred: { at: number; event: WalletEvent }[] = [];
  for (const [index, current] of steps.entries()) {
    for (const late of deferred.filter(({ at }) => at === index)) events.push(late.event);
    switch (current.kind) {
      case 'deposit':
        // Approval times apart from the publishing order; the index keeps them distinct.
        events.push(depositApproved(acme, players[current.who]!, BigInt(current.amount), new Date(base + current.minute * 60_000 + index)));
        break;
      case 'bet': {
        const placed = bet(acme, players[current.who]!, { stake: BigInt(current.stake), category: current.category });
        bets.push(placed);
        events.push(placed.settled());
        break;
      }
      case 'win':
        if (bets.length > 0) events.push(bets[current.pick % bets.length]!.settled({ stake: 0n, win: 100n }));
        break;
      case 'rollback':
        if (bets.length > 0) events.push(bets[current.pick % bets.length]!.rolledBack());
        break;
      case 'rollbackFirst': {
        const placed = bet(acme, players[current.who]!, { stake: BigInt(current.stake), category: current.category });
        events.push(placed.rolledBack());
        if (current.settleAfter !== null) deferred.push({ at: index + 1 + current.settleAfter, event: placed.settled() });
        break;
      }
      case 'repeat':
        if (events.length > 0) events.push(events[current.pick % events.length]!);
        break;
    }
  }
  for (const late of deferred.filter(({ at }) => at >= steps.length)) events.push(late.event);
  return events;
}

interface ModelRequirement {
  approvedAt: number;
  required: bigint;
  accrued: bigint;
  status: 'ACTIVE' | 'COMPLETED';
}

/** The rolling rules of docs/api/frontends.md ("Wagering requirements"), as plain bookkeeping over one player's events in stream order. */
class Model {
  readonly requirements: ModelRequirement[] = [];
  private readonly applied = new Set<string>();
  private readonly deposits = new Set<string>();
  /** Each bet seen, by provider and transaction: whether rolled back, and what it gave to which requirement. */
  private readonly bets = new Map<string, { rolledBack: boolean; gave: Map<ModelRequirement, bigint> }>();

  apply(event: WalletEvent): void {
    if (this.applied.has(event.event_id)) return;
    this.applied.add(event.event_id);
    if (event.event_type === 'DEPOSIT_APPROVED') {
      const payload = event.payload as { request_id: string; amount_minor: string };
      if (this.deposits.has(payload.request_id)) return;
      this.deposits.add(payload.request_id);
      const product = BigInt(payload.amount_minor) * MULTIPLIER_BPS;
      const required = product / 10_000n + (product % 10_000n === 0n ? 0n : 1n);
      if (required > 0n) this.requirements.push({ approvedAt: Date.parse(event.occurred_at), required, accrued: 0n, status: 'ACTIVE' });
      return;
    }
    const payload = event.payload as { provider_code: string; transaction_id: string; game_category: string; bet_amount_minor?: string };
    const key = `${payload.provider_code}/${payload.transaction_id}`;
    const known = this.bets.get(key);
    if (event.event_type === 'BET_ROLLED_BACK_CONFIRMED') {
      if (!known) this.bets.set(key, { rolledBack: true, gave: new Map() });
      else if (!known.rolledBack) {
        known.rolledBack = true;
        for (const [requirement, amount] of known.gave) if (requirement.status === 'ACTIVE') requirement.accrued -= amount;
      }
      return;
    }
    const stake = BigInt(payload.bet_amount_minor!);
    if (stake === 0n || known) return;
    const gave = new Map<ModelRequirement, bigint>();
    this.bets.set(key, { rolledBack: false, gave });
    let left = (stake * BigInt(CATEGORY_BPS.get(payload.game_category) ?? CONTRIBUTIONS.otherBps)) / 10_000n;
    for (const requirement of this.oldestFirst()) {
      if (left === 0n) break;
      if (requirement.status !== 'ACTIVE') continue;
      const taken = requirement.required - requirement.accrued < left ? requirement.required - requirement.accrued : left;
      requirement.accrued += taken;
      left -= taken;
      gave.set(requirement, taken);
      if (requirement.accrued === requirement.required) requirement.status = 'COMPLETED';
    }
  }

  oldestFirst(): ModelRequirement[] {
    return [...this.requirements].sort((a, b) => a.approvedAt - b.approvedAt);
  }
}

/** Publishing in a few appends, of sizes the run picks, so the worker meets the events in batches of its own making. */
async function publishInChunks(events: WalletEvent[], cuts: number[]): Promise<void> {
  const points = [...new Set(cuts.map((cut) => cut % (events.length + 1)))].sort((a, b) => a - b);
  let from = 0;
  for (const to of [...points, events.length]) {
    if (to > from) await platform.publish(...events.slice(from, to));
    from = Math.max(from, to);
  }
}

it('fills, completes and takes back every requirement as the model of the rules does', { timeout: 120_000 }, async () => {
  const completedIds: string[] = [];
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.array(fc.nat(), { maxLength: 2 }), async (steps, cuts) => {
      const players = [randomUUID(), randomUUID()];
      const events = eventsOf(steps, players);
      await publishInChunks(events, cuts);
      for (const playerId of players) {
        const model = new Model();
        for (const event of events) if (event.payload.player_id === playerId) model.apply(event);
        const actual = await requirementsOf(platform, platform.brands.acme, playerId);
        expect(actual.map(({ required, accrued, status }) => ({ required, accrued, status }))).toEqual(
          model.oldestFirst().map(({ required, accrued, status }) => ({ required, accrued, status })),
        );
        expect(actual.map(({ createdAt }) => createdAt.getTime())).toEqual(model.oldestFirst().map(({ approvedAt }) => approvedAt));
        for (const requirement of actual) {
          const announced = await rollingOutbox(platform, 'ROLLING_COMPLETED', requirement.id);
          expect(announced).toHaveLength(requirement.status === 'COMPLETED' ? 1 : 0);
          if (requirement.status === 'COMPLETED') completedIds.push(requirement.id);
        }
      }
    }),
    { numRuns: 60 },
  );
  // Every completion reaches the wallet, which confirms each once.
  await waitFor(
    'every completion confirmed',
    async () => (await platform.prisma.rolling.count({ where: { id: { in: completedIds }, walletConfirmedAt: null } })) === 0,
    20_000,
  );
  for (const id of completedIds) expect(await walletOutbox(platform, 'ROLLING_COMPLETED_CONFIRMED', id)).toHaveLength(1);
});
