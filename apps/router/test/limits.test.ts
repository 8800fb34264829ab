import { buildSchema, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { operationLimitsRule } from '../src/limits';

const schema = buildSchema(`
  type Query { node: Node, list(first: Int): [Node!]! }
  type Node { id: ID!, child: Node, children(first: Int): [Node!]! }
`);
const rule = operationLimitsRule({ maxDepth: 10, maxAliases: 20, maxCost: 1_000 });
const errorsOf = (query: string) => validate(schema, parse(query), [...specifiedRules, rule]).map((e) => e.message);
const nested = (levels: number) => `{ node { ${'child { '.repeat(levels - 2)}id${' }'.repeat(levels - 2)} } }`;

describe('operation limits', () => {
  it('passes an operation within every limit', () => {
    expect(errorsOf(`{ a: node { id } b: list(first: 10) { id children(first: 5) { id } } }`)).toEqual([]);
  });

  it('refuses depth beyond the limit, and not at it', () => {
    expect(errorsOf(nested(10))).toEqual([]);
    expect(errorsOf(nested(11))).toEqual(['query depth 11 exceeds the limit of 10']);
  });

  it('counts depth through fragments and inline fragments', () => {
    const query = `{ node { ...F } } fragment F on Node { child { ... on Node { ${'child { '.repeat(8)}id${' }'.repeat(8)} } } }`;
    expect(errorsOf(query)).toEqual(['query depth 11 exceeds the limit of 10']);
  });

  it('refuses too many aliases', () => {
    const aliases = Array.from({ length: 21 }, (_, i) => `a${i}: node { id }`).join(' ');
    expect(errorsOf(`{ ${aliases} }`)).toContain('21 aliases exceed the limit of 20');
  });

  // list 1 + children 100 + id 100×100: each field costs 1 per item of every list above it.
  it('multiplies cost by page sizes, and assumes a large page for a variable', () => {
    expect(errorsOf(`{ list(first: 10) { children(first: 10) { id } } }`)).toEqual([]);
    expect(errorsOf(`{ list(first: 100) { children(first: 100) { id } } }`)).toEqual(['query cost 10101 exceeds the limit of 1000']);
    expect(errorsOf(`query ($n: Int) { list(first: $n) { children(first: $n) { id } } }`)).toEqual([
      'query cost 10101 exceeds the limit of 1000',
    ]);
  });

  it('does not loop on a fragment cycle (the standard rule reports it)', () => {
    const errors = errorsOf(`{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`);
    expect(errors.some((message) => /Cannot spread fragment "A" within itself/.test(message))).toBe(true);
  });
});
