import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface OperationLimits {
  maxDepth: number;
  maxAliases: number;
  maxCost: number;
}

/** Page size assumed for a list argument given as a variable (validation runs before variables are known). */
const ASSUMED_PAGE_SIZE = 100;

interface Measure {
  depth: number;
  aliases: number;
  cost: number;
}

function pageSize(field: FieldNode): number {
  const first = field.arguments?.find((arg) => arg.name.value === 'first' || arg.name.value === 'last');
  if (!first) return 1;
  return first.value.kind === Kind.INT ? Math.max(1, Number(first.value.value)) : ASSUMED_PAGE_SIZE;
}

/**
 * Measures an operation with its fragments expanded: depth of field nesting, number of
 * aliases, and cost (each field 1, times the page sizes of the lists it sits under).
 */
function measure(
  selectionSet: SelectionSetNode,
  fragments: (name: string) => FragmentDefinitionNode | null | undefined,
  multiplier: number,
  visiting: Set<string>,
): Measure {
  const total: Measure = { depth: 0, aliases: 0, cost: 0 };
  for (const selection of selectionSet.selections) {
    let inner: Measure | undefined;
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value === '__typename') continue;
      const size = pageSize(selection);
      const child = selection.selectionSet
        ? measure(selection.selectionSet, fragments, multiplier * size, visiting)
        : { depth: 0, aliases: 0, cost: 0 };
      inner = { depth: child.depth + 1, aliases: child.aliases + (selection.alias ? 1 : 0), cost: child.cost + multiplier };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, multiplier, visiting);
    } else {
      const name = selection.name.value;
      const fragment = fragments(name);
      if (!fragment || visiting.has(name)) continue; // cycles and unknown fragments are reported by the standard rules
      visiting.add(name);
      inner = measure(fragment.selectionSet, fragments, multiplier, visiting);
      visiting.delete(name);
    }
    total.depth = Math.max(total.depth, inner.depth);
    total.aliases += inner.aliases;
    total.cost += inner.cost;
  }
  return total;
}

/** One validation rule refusing operations deeper, more aliased or costlier than the limits. */
export function operationLimitsRule(limits: OperationLimits): ValidationRule {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const found = measure(operation.selectionSet, (name) => context.getFragment(name), 1, new Set());
      const refuse = (message: string) =>
        context.reportError(new GraphQLError(message, { nodes: [operation], extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
      if (found.depth > limits.maxDepth) refuse(`query depth ${found.depth} exceeds the limit of ${limits.maxDepth}`);
      if (found.aliases > limits.maxAliases) refuse(`${found.aliases} aliases exceed the limit of ${limits.maxAliases}`);
      if (found.cost > limits.maxCost) refuse(`query cost ${found.cost} exceeds the limit of ${limits.maxCost}`);
    },
  });
}
