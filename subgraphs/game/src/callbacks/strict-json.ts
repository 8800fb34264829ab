/** Why a signed body was refused before its fields were read. */
export class StrictJsonError extends Error {
  override readonly name = 'StrictJsonError';
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** U+0000 (PostgreSQL stores no NUL in text or jsonb) or half of a surrogate pair (not Unicode). */
const UNSTORABLE = /[\0\p{Cs}]/u;

/**
 * Parses a signed callback body so that it can mean one thing only: valid UTF-8 (no BOM), one
 * JSON text and nothing after it (JSON.parse), no name twice in an object at any depth (parsers
 * disagree on which twin wins, so the provider and the platform could read different amounts),
 * and no string holding U+0000 or a lone surrogate (I-JSON, RFC 7493).
 */
export function parseStrictJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new StrictJsonError('the body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new StrictJsonError('the body is not JSON');
  }
  checkNamesAndStrings(text);
  return value;
}

/**
 * Walks the string tokens of a text JSON.parse accepted (so its grammar is known to be right):
 * each object keeps the names it has seen, a string right after `{` or `,` in an object is a name.
 */
function checkNamesAndStrings(text: string): void {
  // One entry per open container: the names of an object, null for an array.
  const open: (Set<string> | null)[] = [];
  let expectingName = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      const end = closingQuote(text, i);
      const raw = text.slice(i + 1, end);
      const value = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
      if (UNSTORABLE.test(value)) throw new StrictJsonError('a string holds U+0000 or a lone surrogate');
      const names = open.at(-1);
      if (names && expectingName) {
        if (names.has(value)) throw new StrictJsonError(`the name ${JSON.stringify(value)} appears twice in one object`);
        names.add(value);
        expectingName = false;
      }
      i = end;
    } else if (char === '{') {
      open.push(new Set());
      expectingName = true;
    } else if (char === '[') {
      open.push(null);
      expectingName = false;
    } else if (char === '}' || char === ']') {
      open.pop();
      expectingName = false;
    } else if (char === ',') {
      expectingName = open.at(-1) instanceof Set;
    }
  }
}

/** The index of the quote closing the string that opens at `start`. */
function closingQuote(text: string, start: number): number {
  let i = start + 1;
  for (let code = text.charCodeAt(i); code !== QUOTE; code = text.charCodeAt(i)) i += code === BACKSLASH ? 2 : 1;
  return i;
}
