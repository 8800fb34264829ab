import { parseMoneyInput } from '@rgb/contracts';

/** An amount from an API edge in the brand's currency; anything inexact is BAD_USER_INPUT. */
export function parseAmount(input: string, currency: string, options?: { allowZero?: boolean }): bigint {
  return parseMoneyInput(input, currency, options);
}

/** A signed amount (balance adjustments): `-10.50` debits, `10.50` credits; zero is refused. */
export function parseSignedAmount(input: string, currency: string): bigint {
  return input.startsWith('-') ? -parseAmount(input.slice(1), currency) : parseAmount(input, currency);
}
