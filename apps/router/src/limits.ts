import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import {
  GraphQLError,
  Kind,
  type ASTNode,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type ParseOptions,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  /** Lexer tokens of the whole document, counted while parsing. */
  maxTokens: number;
  maxDepth: number;
  /** Every alias counts, `__typename`'s included. */
  maxAliases: number;
  maxDirectives: number;
  maxCost: number;
  /** Drop "Did you mean ...?" from messages, which would name what introspection hides. */
  hideSuggestions: boolean;
}

export interface OperationProtection {
  parseOptions: ParseOptions;
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
}

const refuse = (context: ValidationContext, message: string, node?: ASTNode) =>
  context.reportError(new GraphQLError(message, { nodes: node, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));

/** graphql-armor words each refusal as a "Syntax Error: ..."; the client gets the limit's own words. */
const armorRefusal: GraphQLArmorRejectCallback = (context, error) => {
  if (context) refuse(context, error.message.replace(/^Syntax Error: /, ''));
};
const armorRules = { propagateOnRejection: false, onReject: [armorRefusal] };

/**
 * The router's operation limits. The token limit is graphql-js's own parse option: the parser
 * stops at the first token past it, before anything is validated (graphql-armor's token
 * protection for Apollo throws from `parsingDidStart`, which Apollo turns into a 500).
 * graphql-armor counts depth, aliases and directives with fragments expanded once each; the
 * cost rule below (page sizes) is ours, as armor's cost knows nothing of `first`/`last`.
 */
export function operationProtection(limits: OperationLimits): OperationProtection {
  const armor = new ApolloArmor({
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    // Its mask covers only `Did you mean "x"` (not enum values, nor the inline-fragment hint).
    blockFieldSuggestion: { enabled: false },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ...armorRules },
    maxAliases: { n: limits.maxAliases, allowList: [], ...armorRules },
    maxDirectives: { n: limits.maxDirectives, ...armorRules },
  }).protect();
  return {
    parseOptions: { maxTokens: limits.maxTokens },
    validationRules: [...armor.validationRules, queryCostRule(limits.maxCost)],
    plugins: [...armor.plugins, ...(limits.hideSuggestions ? [hiddenSuggestionsPlugin] : [])],
  };
}

/** Removes every "Did you mean ...?" sentence (fields, arguments, types, enum values, fragments). */
const hiddenSuggestionsPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors }) {
        for (const error of errors) error.message = error.message.replace(/\s*Did you mean [^?]*\?/g, '');
      },
    };
  },
};

/** Page size assumed for a list argument given as a variable (validation runs before variables are known). */
const ASSUMED_PAGE_SIZE = 100;

function pageSize(field: FieldNode): number {
  const first = field.arguments?.find((arg) => arg.name.value === 'first' || arg.name.value === 'last');
  if (!first) return 1;
  return first.value.kind === Kind.INT ? Math.max(1, Number(first.value.value)) : ASSUMED_PAGE_SIZE;
}

/**
 * Refuses an operation whose cost exceeds `maxCost`: each field (`__typename` too) costs 1 per
 * item of every list above it, the lists' sizes being their `first`/`last`. A fragment's cost is
 * measured once and reused at each spread (cost scales with the page sizes above it), and a
 * count stops as soon as it passes the limit, so a document of fragments spreading each other
 * costs time in its size, not in the size of its expansion.
 */
export function queryCostRule(maxCost: number): ValidationRule {
  return (context: ValidationContext): ASTVisitor => {
    const beyond = maxCost + 1;
    const fragmentCosts = new Map<string, number>();
    const capped = (cost: number) => Math.min(cost, beyond);

    // The cost of one pass over the selections, at page size 1 above them; at most `beyond`.
    const costOf = (selectionSet: SelectionSetNode): number => {
      let total = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          total += 1 + (selection.selectionSet ? pageSize(selection) * costOf(selection.selectionSet) : 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          total += costOf(selection.selectionSet);
        } else {
          total += fragmentCost(context.getFragment(selection.name.value));
        }
        if (total >= beyond) return beyond;
      }
      return total;
    };
    const fragmentCost = (fragment: FragmentDefinitionNode | null | undefined): number => {
      if (!fragment) return 0; // unknown fragments are reported by the standard rules
      const name = fragment.name.value;
      const known = fragmentCosts.get(name);
      if (known !== undefined) return known;
      fragmentCosts.set(name, 0); // a cycle (reported by the standard rules) adds nothing
      const cost = capped(costOf(fragment.selectionSet));
      fragmentCosts.set(name, cost);
      return cost;
    };

    return {
      OperationDefinition(operation) {
        if (costOf(operation.selectionSet) > maxCost) refuse(context, `query cost exceeds the limit of ${maxCost}`, operation);
      },
    };
  };
}
