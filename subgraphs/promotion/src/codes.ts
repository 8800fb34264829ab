import { randomInt } from 'node:crypto';
import { badUserInput } from '@rgb/contracts';

/** What players type: codes are case-insensitive, stored upper case. */
export const normalizeCode = (input: string): string => input.trim().toUpperCase();

/** The longest code of any kind. */
export const MAX_CODE_LENGTH = 32;
/** A named code: 3 to 32 letters, digits, `_` and `-`, starting with a letter or digit. */
const NAMED_CODE = /^[A-Z0-9][A-Z0-9_-]{2,31}$/;

/** A staff member's named code, normalized; BAD_USER_INPUT when it is not one. */
export function namedCode(input: string): string {
  const code = normalizeCode(input);
  if (!NAMED_CODE.test(code)) throw badUserInput('a coupon code is 3 to 32 letters, digits, _ and -, starting with a letter or digit');
  return code;
}

/** Upper-case letters and digits without the ones read alike (0/O, 1/I/L): 31 symbols. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
export const GENERATED_CODE_LENGTH = 12;
/** The most codes one call generates. */
export const MAX_GENERATED_CODES = 1_000;

/** A single-use code: 12 symbols drawn by the CSPRNG, about 59 bits, not to be guessed. */
export function generateCode(): string {
  let code = '';
  for (let index = 0; index < GENERATED_CODE_LENGTH; index++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}
