/**
 * Whether a depositor name as a bank printed it fits a full name: `*` stands for one character
 * (`홍*동` fits `홍길동`), and a name the bank cut short fits the start of the full name.
 */
export function nameMatches(pattern: string, fullName: string): boolean {
  const printed = [...pattern.replace(/\s+/gu, '')];
  const full = [...fullName.replace(/\s+/gu, '')];
  if (printed.length === 0 || printed.length > full.length) return false;
  return printed.every((char, index) => char === '*' || char === full[index]);
}
