/** The parser of signed callback bodies: one meaning per body, or a refusal. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStrictJson, StrictJsonError } from '../src/callbacks/strict-json';

const parse = (text: string | Uint8Array) => parseStrictJson(typeof text === 'string' ? Buffer.from(text, 'utf8') : text);
const refusal = (text: string | Uint8Array) => {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof StrictJsonError) return error.message;
    throw error;
  }
  return null;
};

/** Choices a property draws once and the renderer reads in turn (escape this character? add a space?). */
const choices = fc.array(fc.boolean(), { minLength: 1, maxLength: 64 });

/**
 * JSON text of `value`, spelled as a provider might: names and strings with characters written
 * as \u escapes and whitespace between tokens, as the choices say. `twin` repeats a name of
 * the object at that path (spelled anew) with another value.
 */
function render(value: unknown, pick: boolean[], twin?: { path: number[]; value: unknown }): string {
  let turn = 0;
  const next = () => pick[turn++ % pick.length]!;
  const space = () => (next() ? ' ' : '');
  // Per UTF-16 unit; surrogates always escaped, as UTF-8 cannot carry a lone one.
  const string = (text: string) =>
    `"${Array.from({ length: text.length }, (_, i) => {
      const unit = text.charCodeAt(i);
      const escaped = next() || unit < 0x20 || unit === 0x22 || unit === 0x5c || (unit >= 0xd800 && unit <= 0xdfff);
      return escaped ? `\\u${unit.toString(16).padStart(4, '0')}` : text[i];
    }).join('')}"`;
  const go = (node: unknown, path: number[]): string => {
    if (Array.isArray(node)) return `[${node.map((item, index) => space() + go(item, [...path, index])).join(',')}]`;
    if (node !== null && typeof node === 'object') {
      const entries = Object.entries(node).map(([name, item], index) => `${space()}${string(name)}${space()}:${space()}${go(item, [...path, index])}`);
      const first = Object.keys(node)[0];
      if (twin && first !== undefined && twin.path.length === path.length && twin.path.every((step, i) => step === path[i])) {
        entries.push(`${string(first)}:${JSON.stringify(twin.value)}`);
      }
      return `{${entries.join(',')}${space()}}`;
    }
    return typeof node === 'string' ? string(node) : JSON.stringify(node);
  };
  return go(value, []);
}

/** Paths (indexes at each level) of every non-empty object in `value`. */
function objectPaths(value: unknown, path: number[] = []): number[][] {
  if (Array.isArray(value)) return value.flatMap((item, index) => objectPaths(item, [...path, index]));
  if (value === null || typeof value !== 'object') return [];
  const inner = Object.values(value).flatMap((item, index) => objectPaths(item, [...path, index]));
  return Object.keys(value).length > 0 ? [path, ...inner] : inner;
}

/** Whether a name or string of `value` holds U+0000 or a lone surrogate. */
function unstorable(value: unknown): boolean {
  if (typeof value === 'string') return /[\0\p{Cs}]/u.test(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([name, item]) => unstorable(name) || unstorable(item));
}

// Any JSON value whose strings are Unicode text without U+0000: what a body may hold.
const storable = fc.oneof(fc.jsonValue({ depthSize: 'medium' }), fc.jsonValue({ stringUnit: 'grapheme' }), fc.jsonValue({ stringUnit: 'binary' })).filter((value) => !unstorable(value));

describe('parseStrictJson', () => {
  it('reads what JSON.parse reads when no name repeats, however the text is spelled', () => {
    fc.assert(
      fc.property(storable, choices, (value, pick) => {
        const text = render(value, pick);
        expect(parse(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a body exactly when one of its names or strings holds U+0000 or a lone surrogate', () => {
    fc.assert(
      fc.property(fc.jsonValue({ stringUnit: 'binary' }), choices, (value, pick) => {
        const text = render(value, pick);
        if (unstorable(value)) expect(refusal(text)).toMatch(/U\+0000 or a lone surrogate$/);
        else expect(parse(text)).toEqual(JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a name given twice in one object, at any depth and however each twin is spelled', () => {
    fc.assert(
      fc.property(
        storable.filter((value) => objectPaths(value).length > 0),
        choices,
        fc.nat(),
        fc.jsonValue({ maxDepth: 1 }),
        (value, pick, which, other) => {
          const paths = objectPaths(value);
          const text = render(value, pick, { path: paths[which % paths.length]!, value: other });
          expect(refusal(text)).toMatch(/appears twice in one object$/);
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    ['the same amount twice', '{"amount":"1.00","amount":"50.00"}'],
    ['twins with equal values', '{"amount":"1.00","amount":"1.00"}'],
    ['a twin spelled with an escape', '{"amount":"1.00","\\u0061mount":"50.00"}'],
    ['a twin in a nested object', '{"a":[{"b":1},{"c":{"d":1,"d":2}}]}'],
    ['a twin after a nested object', '{"a":{"b":1},"c":2,"a":3}'],
    ['__proto__ twice', '{"__proto__":1,"__proto__":2}'],
  ])('refuses %s', (_name, text) => {
    expect(refusal(text)).toMatch(/appears twice in one object$/);
  });

  it.each([
    ['the same name in sibling objects', '{"a":{"x":1},"b":{"x":2}}', { a: { x: 1 }, b: { x: 2 } }],
    ['a name also used as a value', '{"a":"a","b":["a","a"]}', { a: 'a', b: ['a', 'a'] }],
    ['braces and quotes inside strings', '{"a":"{\\"a\\":1,","b":"}]\\\\"}', { a: '{"a":1,', b: '}]\\' }],
    ['a name and its parent sharing a name', '{"a":{"a":{"a":1}}}', { a: { a: { a: 1 } } }],
    ['a surrogate pair', '{"a":"\\ud83d\\ude00 \u{1F600}"}', { a: '\u{1F600} \u{1F600}' }],
  ])('accepts %s', (_name, text, expected) => {
    expect(parse(text)).toEqual(expected);
  });

  it.each<[string, string | Uint8Array, RegExp]>([
    ['trailing garbage', '{"a":1} x', /not JSON/],
    ['two texts', '{"a":1}{"a":2}', /not JSON/],
    ['an empty body', '', /not JSON/],
    ['a byte order mark', '\uFEFF{"a":1}', /not JSON/],
    ['a lone surrogate', '{"a":"\\ud800"}', /lone surrogate/],
    ['a lone surrogate in a name', '{"\\udc00":1}', /lone surrogate/],
    ['an escaped NUL', '{"request_id":"r\\u0000"}', /U\+0000/],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), /not valid UTF-8/],
    ['an overlong encoding', Buffer.from([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
    ['an encoded surrogate', Buffer.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), /not valid UTF-8/],
  ])('refuses %s', (_name, text, reason) => {
    expect(refusal(text)).toMatch(reason);
  });
});
