/**
 * GraphQL documents for fuzzing the router's edge: fields of a slice of the supergraph and
 * unknown ones, aliases, directives, page sizes, inline fragments, fragments spreading
 * fragments (again, within themselves, in doubling chains), deep nesting.
 */
import fc from 'fast-check';
import { doublingQuery } from './documents';

interface FieldShape {
  type?: string;
  paged?: boolean;
}
const connection = (node: string): Record<string, FieldShape> => ({ totalCount: {}, edges: { type: `${node}Edge` } });
const edge = (node: string): Record<string, FieldShape> => ({ cursor: {}, node: { type: node } });
/** A slice of the supergraph, enough for many generated documents to be valid. */
const TYPES: Record<string, Record<string, FieldShape>> = {
  Query: { me: { type: 'Player' }, currentBrand: { type: 'Brand' }, games: { type: 'GameConnection', paged: true }, __typename: {} },
  Player: { id: {}, username: {}, nickname: {}, status: {}, wallet: { type: 'Wallet' }, gameHistory: { type: 'GameRoundConnection', paged: true }, __typename: {} },
  Wallet: { balance: {}, currency: {}, transactions: { type: 'LedgerEntryConnection', paged: true } },
  LedgerEntryConnection: connection('LedgerEntry'),
  LedgerEntryEdge: edge('LedgerEntry'),
  LedgerEntry: { id: {}, kind: {}, amount: {}, balanceAfter: {} },
  GameConnection: connection('Game'),
  GameEdge: edge('Game'),
  Game: { id: {}, code: {}, name: {} },
  GameRoundConnection: connection('GameRound'),
  GameRoundEdge: edge('GameRound'),
  GameRound: { id: {}, roundId: {}, status: {}, game: { type: 'Game' } },
  Brand: { id: {}, code: {}, name: {}, currency: {}, status: {}, domains: {} },
};
const FRAGMENT_TYPES = ['Query', 'Player', 'Wallet', 'Brand'];
const DIRECTIVES = ['@include(if: true)', '@skip(if: false)', '@skip(if: true)', '@include(if: $flag)'];
const PAGE_SIZES = ['1', '10', '100', '1000', '-1', '$n'];
const MAX_FRAGMENTS = 12;
/**
 * Fragments of every kind a document may hold, doubling chains included: uncapped, chains drawn
 * inside fragment bodies multiplied into thousands of fragments, and each draw (rescanning them
 * all for every spread, then refused for its size and drawn again) ran for minutes.
 */
const MAX_ALL_FRAGMENTS = 64;
const MAX_SELECTIONS = 400;
/** About how much text one repeated field may take. */
const REPEATED_CHARS = 6_000;

/**
 * Draws one document; fragments are written once something spreads them, and may spread each
 * other (cycles too). A strict draw uses only the schema's own fields, directives and types, so
 * that limits, cycles and conflicts are what refuses it, or nothing.
 */
class DocumentDraw {
  private readonly fragments = new Map<string, { on: string; body?: string }>();
  private readonly variables = new Set<string>();
  private readonly strict: boolean;
  private aliases = 0;
  private selections = 0;

  constructor(private readonly g: fc.GeneratorValue) {
    this.strict = g(fc.boolean);
  }

  document(): string {
    const operation = this.selectionSet('Query', 1);
    // Bodies are drawn until no spread names a fragment without one.
    for (let pending = this.unwritten(); pending; pending = this.unwritten()) pending.body = this.selectionSet(pending.on, 2);
    if (!this.strict && this.g(fc.boolean)) this.fragments.set('Unused', { on: 'Query', body: '{ __typename }' });
    const declared = [...this.variables].map((name) => (name === 'n' ? '$n: Int = 10' : '$flag: Boolean = true'));
    const fragments = [...this.fragments].map(([name, { on, body }]) => `fragment ${name} on ${on} ${body}`);
    return [`query Fuzz${declared.length > 0 ? `(${declared.join(', ')})` : ''} ${operation}`, ...fragments].join('\n');
  }

  private spread(type: string): string {
    const known = [...this.fragments].filter(([, fragment]) => !this.strict || fragment.on === type).map(([name]) => name);
    // Reusing a fragment spreads it again, or within itself; new ones stop at a dozen.
    const reuse = known.length > 0 && (this.fragments.size >= MAX_FRAGMENTS || this.g(fc.boolean));
    if (!reuse && this.fragments.size >= MAX_FRAGMENTS) return '__typename';
    const name = reuse ? this.pick(known) : `F${this.fragments.size}`;
    if (!reuse) this.fragments.set(name, { on: this.strict || this.g(fc.boolean) ? type : this.pick(FRAGMENT_TYPES) });
    return `...${name} ${this.directives()}`;
  }

  private unwritten() {
    return [...this.fragments.values()].find((fragment) => fragment.body === undefined);
  }

  private pick<T>(values: readonly T[]): T {
    return values[this.g(fc.integer, { min: 0, max: values.length - 1 })]!;
  }

  private directives(): string {
    const count = this.pick([0, 0, 0, 1, 2, 8]);
    const drawn = Array.from({ length: count }, () => this.pick(this.strict ? DIRECTIVES : [...DIRECTIVES, '@unknown']));
    if (drawn.some((directive) => directive.includes('$flag'))) this.variables.add('flag');
    return drawn.join(' ');
  }

  private selectionSet(type: string, depth: number): string {
    // Past a few hundred selections the document only closes, so its size stays bounded.
    if (this.selections > MAX_SELECTIONS) return '{ __typename }';
    const count = this.g(fc.integer, { min: 1, max: depth > 6 ? 2 : 4 });
    return `{ ${Array.from({ length: count }, () => this.selection(type, depth)).join(' ')} }`;
  }

  private selection(type: string, depth: number): string {
    this.selections++;
    switch (this.pick(['field', 'field', 'field', 'field', 'spread', 'spread', 'inline', 'repeat', 'deep', 'chain'] as const)) {
      case 'field':
        return this.field(type, depth);
      case 'spread':
        return this.spread(type);
      case 'inline':
        return `...${this.g(fc.boolean) ? ` on ${type}` : ''} ${this.directives()} ${this.selectionSet(type, depth + 1)}`;
      case 'repeat': {
        // The same field many times, under aliases or merged under its own name.
        const aliased = this.g(fc.boolean);
        const field = this.field(type, depth, !aliased);
        const times = Math.max(2, Math.min(this.g(fc.integer, { min: 2, max: 80 }), Math.floor(REPEATED_CHARS / field.length)));
        return Array.from({ length: times }, () => (aliased ? `r${this.aliases++}: ${field}` : field)).join(' ');
      }
      case 'deep': {
        const levels = this.g(fc.integer, { min: 5, max: 80 });
        return this.strict || this.g(fc.boolean)
          ? `${`... on ${type} { `.repeat(levels)}__typename${' }'.repeat(levels)}`
          : `${'nested { '.repeat(levels)}leaf${' }'.repeat(levels)}`;
      }
      case 'chain': {
        // Fragments each spreading the next twice: a small document with a huge expansion.
        const root = `chain${this.fragments.size}`;
        const levels = this.g(fc.integer, { min: 2, max: 30 });
        if (this.fragments.size + levels + 1 > MAX_ALL_FRAGMENTS) return this.field(type, depth);
        const fields = Object.entries(TYPES[type] ?? {}).filter(([, shape]) => !this.strict || !shape.type);
        const chain = doublingQuery(levels, '', type, fields.length > 0 ? this.pick(fields)[0] : '__typename');
        for (const [, name, on, body] of chain.matchAll(/fragment (F\d+) on (\w+) (\{[^}]*\})/g)) {
          this.fragments.set(`${root}_${name}`, { on: on!, body: body!.replaceAll('...F', `...${root}_F`) });
        }
        return `...${root}_F0`;
      }
    }
  }

  private field(type: string, depth: number, aliasable = true): string {
    const fields = TYPES[type] ?? {};
    const unknown = !this.strict && this.g(fc.integer, { min: 0, max: 5 }) === 0;
    const name = unknown || Object.keys(fields).length === 0 ? this.pick(['unknownField', 'wallet', 'approveDeposit']) : this.pick(Object.keys(fields));
    const shape = fields[name] ?? {};
    const alias = aliasable && this.g(fc.integer, { min: 0, max: 4 }) === 0 ? `a${this.aliases++}: ` : '';
    let args = '';
    if (shape.paged && this.g(fc.boolean)) {
      const size = this.pick(PAGE_SIZES);
      if (size === '$n') this.variables.add('n');
      args = `(${this.strict ? 'first' : this.pick(['first', 'last'])}: ${size})`;
    }
    const selections = shape.type ? (depth < 9 ? this.selectionSet(shape.type, depth + 1) : '{ __typename }') : '';
    return `${alias}${name}${args} ${this.directives()} ${selections}`.trim();
  }
}

/** Documents whose JSON request body stays within `maxBodyBytes`. */
export const generatedDocuments = (maxBodyBytes: number): fc.Arbitrary<string> =>
  fc
    .gen()
    .map((g) => new DocumentDraw(g).document())
    .filter((query) => Buffer.byteLength(JSON.stringify({ query })) <= maxBodyBytes);
