/**
 * The dice game's payout table: a bet picks a face (1-6) and wins when the roll shows it, paid
 * stake x 6 x (1 - edge). Six equally likely faces make the fair multiplier 6; the house edge
 * (basis points, per game) takes its share of it, so the return to player is 1 - edge.
 */

export const FACES = 6;
const BPS = 10_000n;

/**
 * What a bet of `stakeMinor` on `pick` wins when the roll is `roll`, in minor units. The exact
 * product is rounded down to the minor unit: the player is never paid a fraction the currency
 * cannot hold, and the house keeps less than one minor unit per winning bet beyond its edge.
 */
export function diceWin(stakeMinor: bigint, pick: number, roll: number, houseEdgeBps: number): bigint {
  if (roll !== pick) return 0n;
  return (stakeMinor * BigInt(FACES) * (BPS - BigInt(houseEdgeBps))) / BPS;
}
