export { type Bank, BANKS } from './banks';
export type { Layout } from './layouts';
export { nameMatches } from './names';
export {
  type BankText,
  type CustomPattern,
  customPattern,
  type IgnoredReason,
  type IgnoredText,
  MAX_DEPOSIT_TEXT_LENGTH,
  type ParsedDeposit,
  type ParseResult,
  parseBankText,
} from './parse';
