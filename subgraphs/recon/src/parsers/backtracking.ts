import { createContext, Script } from 'node:vm';

// Bounds on what a regex staff wrote (a brand's own layout) can cost on a text anyone can send.
// Backtracking is exponential only where a repeated piece can match the same characters in more
// than one way: a quantifier or an alternation inside a repeated group (`(\d+,?)+`, `(a|ab)*`), or
// a back-reference. backtrackingHazard refuses those when the pattern is saved. What it lets
// through can still be polynomial (`.*.*.*x` is cubic), so each run is bounded too: the text is
// at most MAX_DEPOSIT_TEXT_LENGTH characters, and execWithin stops a run that takes too long.

/** What a quantifier placed here would repeat: a group's contents or a single character or class. */
type Piece = { variable: boolean; alternation: boolean };

const SINGLE: Piece = { variable: false, alternation: false };
const ESCAPE = /\\(?:k<[^>]*>|[1-9]\d*|[pP]\{[^}]*\}|u\{[^}]*\}|u[\dA-Fa-f]{4}|x[\dA-Fa-f]{2}|c[A-Za-z]|[\s\S])/uy;
const BACK_REFERENCE = /^\\(?:k<|[1-9])/u;
const GROUP_OPENING = /\((?:\?(?:<[=!]|<[^>]*>|[=!:]|[a-zA-Z-]*:))?/uy;
const QUANTIFIER = /(?:[*+?]|\{(\d+)(,?)(\d*)\})\??/uy;

/**
 * Why a valid `u`-flag pattern could backtrack exponentially, or undefined: it refers back to a
 * group, or repeats (more than once) a group holding a quantifier of variable count or an
 * alternation. Conservative: `(?:,?\d{3})+` is refused though it is harmless; a class says the
 * same in one quantifier (`[\d,]+`).
 */
export function backtrackingHazard(source: string): string | undefined {
  const open: Piece[] = [{ variable: false, alternation: false }];
  let last: Piece | undefined;
  let at = 0;
  while (at < source.length) {
    const current = open.at(-1) as Piece;
    const char = source[at];
    if (char === '\\') {
      const escaped = stickyMatch(ESCAPE, source, at);
      if (BACK_REFERENCE.test(escaped)) return `refers back to a group (${escaped}), which can take exponential time`;
      at += escaped.length;
      last = SINGLE;
    } else if (char === '[') {
      at = classEnd(source, at);
      last = SINGLE;
    } else if (char === '(') {
      at += stickyMatch(GROUP_OPENING, source, at).length;
      open.push({ variable: false, alternation: false });
      last = undefined;
    } else if (char === ')') {
      const group = open.pop() as Piece;
      const parent = open.at(-1) as Piece;
      parent.variable ||= group.variable;
      parent.alternation ||= group.alternation;
      last = group;
      at += 1;
    } else if (char === '|') {
      current.alternation = true;
      last = undefined;
      at += 1;
    } else {
      QUANTIFIER.lastIndex = at;
      const quantifier = QUANTIFIER.exec(source);
      if (!quantifier) {
        last = SINGLE;
        at += 1;
        continue;
      }
      const [least, most] = counts(quantifier);
      if (most > 1 && last && (last.variable || last.alternation))
        return (
          `repeats (${quantifier[0]}) a group holding a quantifier or an alternation, which can take exponential ` +
          'time: write one quantifier over a class, like [\\d,]+ for (\\d+,?)+'
        );
      if (least !== most) current.variable = true;
      last = undefined;
      at += quantifier[0].length;
    }
  }
  return undefined;
}

function stickyMatch(pattern: RegExp, source: string, at: number): string {
  pattern.lastIndex = at;
  return pattern.exec(source)?.[0] ?? source.slice(at, at + 1);
}

function classEnd(source: string, at: number): number {
  let index = at + 1;
  while (index < source.length && source[index] !== ']') index += source[index] === '\\' ? 2 : 1;
  return index + 1;
}

/** The least and most repetitions a quantifier allows. */
function counts([text, min, comma, max]: RegExpExecArray): [number, number] {
  if (min !== undefined) return [Number(min), !comma ? Number(min) : max ? Number(max) : Infinity];
  if (text.startsWith('*')) return [0, Infinity];
  return text.startsWith('+') ? [1, Infinity] : [0, 1];
}

// Node's one way to stop a synchronous regex is vm's timeout: a watchdog thread ends the run
// (at the cost of starting that thread: under a millisecond).
const sandbox = createContext({});
const execInSandbox = new Script('pattern.exec(text)');

/** pattern.exec(text), stopped after limitMs: TIMED_OUT then. */
export function execWithin(pattern: RegExp, text: string, limitMs: number): RegExpExecArray | null | 'TIMED_OUT' {
  sandbox.pattern = pattern;
  sandbox.text = text;
  try {
    return execInSandbox.runInContext(sandbox, { timeout: limitMs }) as RegExpExecArray | null;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') return 'TIMED_OUT';
    throw error;
  } finally {
    sandbox.pattern = undefined;
    sandbox.text = undefined;
  }
}
