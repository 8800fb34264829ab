import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { diceWin } from '../src/dice';
import { diceRoll, newServerSeed, seedCommitment } from '../src/fair';
import { commitmentOf, rollOf } from './support/verifier';

// The example vector of docs/api/rgs-operators.md ("Provably fair").
const SEED = '68ed9f4129d42e7cdecfadaf1160631059d2b07e200efe3de66a557827955370';
const CLIENT_SEED = 'player-client-seed';

/** 1 % critical value of chi-square with 5 degrees of freedom (six faces). */
const CHI_SQUARE_1PCT_5DF = 15.086;
const ROLLS = 600_000;

function chiSquare(counts: number[], total: number): number {
  const expected = total / counts.length;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

// The rolls of nonces 0..599,999 of one seed pair, shared by the statistics below.
const rolls = Array.from({ length: ROLLS }, (_, nonce) => diceRoll(SEED, CLIENT_SEED, nonce));

describe('provably fair dice', () => {
  it('holds the published example: commitment and roll of nonce 0', () => {
    expect(seedCommitment(SEED)).toBe('01a6da0187ad892697af0e5509789bab1e658b3bb7e1ebc1629d81d27b69c6cd');
    expect(diceRoll(SEED, CLIENT_SEED, 0)).toBe(2);
    // The verifier written from the published text agrees on the vector.
    expect(commitmentOf(SEED)).toBe('01a6da0187ad892697af0e5509789bab1e658b3bb7e1ebc1629d81d27b69c6cd');
    expect(rollOf(SEED, CLIENT_SEED, 0)).toBe(2);
  });

  it('draws server seeds of 32 random bytes as 64 lowercase hex characters', () => {
    const seeds = new Set(Array.from({ length: 100 }, newServerSeed));
    expect(seeds.size).toBe(100);
    for (const seed of seeds) expect(seed).toMatch(/^[0-9a-f]{64}$/);
  });

  it('agrees with the independent verifier on every roll of the sample', () => {
    for (let nonce = 0; nonce < 2_000; nonce++) expect(rolls[nonce]).toBe(rollOf(SEED, CLIENT_SEED, nonce));
  });

  it(`gives uniform faces: chi-square of ${ROLLS.toLocaleString('en')} rolls below the 1 % critical value`, () => {
    const counts = [0, 0, 0, 0, 0, 0];
    for (const roll of rolls) counts[roll - 1]!++;
    expect(chiSquare(counts, ROLLS)).toBeLessThan(CHI_SQUARE_1PCT_5DF);
    // The test can fail: the same bytes taken as `first byte % 6 + 1`, without skipping 252-255
    // (four faces 43/256 likely, two 42/256), are refused by it.
    const biased = [0, 0, 0, 0, 0, 0];
    for (let nonce = 0; nonce < ROLLS; nonce++) biased[createHmac('sha256', SEED).update(`${CLIENT_SEED}:${nonce}:0`).digest()[0]! % 6]!++;
    expect(chiSquare(biased, ROLLS)).toBeGreaterThan(CHI_SQUARE_1PCT_5DF);
  });

  it('returns 1 - edge to the player over simulated bets, within 4 standard deviations', () => {
    const stake = 1_000n;
    const edgeBps = 500;
    let staked = 0n;
    let paid = 0n;
    // Picks cycle through the faces, independent of the rolls.
    rolls.forEach((roll, index) => {
      staked += stake;
      paid += diceWin(stake, (index % 6) + 1, roll, edgeBps);
    });
    const multiplier = 6 * (1 - edgeBps / 10_000);
    // One bet returns `multiplier` with probability 1/6, else 0: its standard deviation, and the mean's over the sample.
    const tolerance = (4 * multiplier * Math.sqrt((1 / 6) * (5 / 6))) / Math.sqrt(ROLLS);
    const returned = Number(paid) / Number(staked);
    expect(Math.abs(returned - (1 - edgeBps / 10_000))).toBeLessThan(tolerance);
    // 4 standard deviations here are about 0.011: a game without an edge (return 1) would be refused.
    expect(tolerance).toBeLessThan(edgeBps / 10_000);
  });

  it('pays stake x 6 x (1 - edge), rounded down to the minor unit, and nothing on a miss', () => {
    expect(diceWin(1_000n, 3, 3, 100)).toBe(5_940n);
    expect(diceWin(1_000n, 3, 4, 100)).toBe(0n);
    // 7 x 5.94 = 41.58 minor units: the player gets 41, never a fraction.
    expect(diceWin(7n, 1, 1, 100)).toBe(41n);
    expect(diceWin(10n ** 15n, 6, 6, 0)).toBe(6n * 10n ** 15n);
  });
});
