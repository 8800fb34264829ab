import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationProtection, type OperationLimits } from '../src/limits';
import { doublingQuery } from './documents';

const schema = buildSchema(`
  type Query { node: Node, list(first: Int): [Node!]! }
  type Node { id: ID!, child: Node, children(first: Int): [Node!]! }
`);
const limits: OperationLimits = { maxTokens: 400, maxDepth: 10, maxAliases: 20, maxDirectives: 5, maxCost: 1_000, hideSuggestions: true };
const protection = operationProtection(limits);
const errorsOf = (query: string) =>
  validate(schema, parse(query, protection.parseOptions), [...specifiedRules, ...protection.validationRules]).map((e) => e.message);
const nested = (levels: number) => `{ node { ${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;

describe('operation limits', () => {
  it('passes an operation within every limit', () => {
    expect(errorsOf(`{ a: node { id } b: list(first: 10) { id children(first: 5) { id @include(if: true) } } }`)).toEqual([]);
  });

  it('refuses depth beyond the limit, and not at it', () => {
    expect(errorsOf(nested(10))).toEqual([]);
    expect(errorsOf(nested(11))).toEqual(['Query depth limit of 10 exceeded, found 11.']);
  });

  it('counts depth through fragments and inline fragments, which add no level of their own', () => {
    const query = (inner: number) => `{ node { ...F } } fragment F on Node { child { ... on Node { ${'child { '.repeat(inner)}id${' }'.repeat(inner)} } } }`;
    expect(errorsOf(query(7))).toEqual([]);
    expect(errorsOf(query(8))).toEqual(['Query depth limit of 10 exceeded, found 11.']);
  });

  it('refuses too many aliases, __typename\'s counted', () => {
    const aliases = (count: number, field: string) => `{ ${Array.from({ length: count }, (_, i) => `a${i}: ${field}`).join(' ')} }`;
    expect(errorsOf(aliases(20, 'node { id }'))).toEqual([]);
    expect(errorsOf(aliases(21, 'node { id }'))).toEqual(['Aliases limit of 20 exceeded, found 21.']);
    expect(errorsOf(aliases(21, '__typename'))).toEqual(['Aliases limit of 20 exceeded, found 21.']);
  });

  it('counts aliases and directives through every spread of a fragment', () => {
    const spreads = `{ node { ...F ...F ...F } } fragment F on Node { a: id b: id c: id d: id e: id f: id g: id }`;
    expect(errorsOf(spreads)).toEqual(['Aliases limit of 20 exceeded, found 21.']);
    const directives = `{ node { ...G ...G ...G } } fragment G on Node { id @skip(if: false) child @include(if: true) { id } }`;
    expect(errorsOf(directives)).toEqual(['Directives limit of 5 exceeded, found 6.']);
  });

  // list 1 + children 100 + id 100×100: each field costs 1 per item of every list above it.
  it('multiplies cost by page sizes, and assumes a large page for a variable', () => {
    expect(errorsOf(`{ list(first: 10) { children(first: 10) { id } } }`)).toEqual([]);
    expect(errorsOf(`{ list(first: 100) { children(first: 100) { id } } }`)).toEqual(['query cost exceeds the limit of 1000']);
    expect(errorsOf(`query ($n: Int) { list(first: $n) { children(first: $n) { id } } }`)).toEqual(['query cost exceeds the limit of 1000']);
  });

  it('multiplies a fragment\'s cost by the page sizes above each of its spreads', () => {
    // C costs 1 + (1 + 4 × 3) = 14: 1 + 10 × 14 = 141 under a page of 10, 1 + 100 × 14 = 1401 under 100.
    const query = (page: number) => `{ list(first: ${page}) { ...C } } fragment C on Node { id children(first: 4) { id child { id } } }`;
    expect(errorsOf(query(10))).toEqual([]);
    expect(errorsOf(query(100))).toEqual(['query cost exceeds the limit of 1000']);
  });

  it('counts __typename in the cost, so no selection expands for free', () => {
    expect(errorsOf(`{ list(first: 100) { id __typename } }`)).toEqual([]);
    expect(errorsOf(`{ list(first: 100) { id __typename children(first: 8) { __typename } } }`)).toEqual(['query cost exceeds the limit of 1000']);
  });

  it('refuses 25 fragments that each spread the next twice, without expanding them', () => {
    const started = performance.now();
    expect(errorsOf(doublingQuery(25, '{ node { ...F0 } }', 'Node'))).toEqual(['query cost exceeds the limit of 1000']);
    // Expanded, this document has 2^25 fields; walking them took seconds.
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('refuses a document past the token limit while parsing it', () => {
    expect(() => parse(`{ ${'node { id } '.repeat(100)} }`, protection.parseOptions)).toThrow(/Document contains more that 400 tokens/);
  });

  it('does not loop on a fragment cycle (the standard rule reports it)', () => {
    const errors = errorsOf(`{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`);
    expect(errors.some((message) => /Cannot spread fragment "A" within itself/.test(message))).toBe(true);
  });
});
