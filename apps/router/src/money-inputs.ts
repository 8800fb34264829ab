import type { ApolloServerPlugin } from '@apollo/server';
import {
  GraphQLError,
  type GraphQLInputObjectType,
  GraphQLList,
  GraphQLNonNull,
  Kind,
  getNamedType,
  isInputObjectType,
  typeFromAST,
  type ASTVisitor,
  type GraphQLInputType,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

const MONEY = 'Money';
const refusal = (where: string) =>
  new GraphQLError(`${where}: Money is a decimal string such as "10.50", never a number`, {
    extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
  });

/**
 * The router serves `Money` as an opaque scalar, so it would pass a float literal or variable on
 * to a subgraph, which then fails the whole fetch. Refusing non-string Money here gives the
 * client a clear BAD_USER_INPUT instead.
 */
export const moneyLiteralRule: ValidationRule = (context: ValidationContext): ASTVisitor => {
  const check = (node: { kind: Kind; loc?: unknown }) => {
    if (getNamedType(context.getInputType() ?? undefined)?.name !== MONEY) return;
    if (node.kind !== Kind.STRING && node.kind !== Kind.VARIABLE && node.kind !== Kind.NULL && node.kind !== Kind.LIST) {
      context.reportError(refusal('argument'));
    }
  };
  return { IntValue: check, FloatValue: check, BooleanValue: check, EnumValue: check, ObjectValue: check };
};

function moneyProblems(type: GraphQLInputType, value: unknown, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (type instanceof GraphQLNonNull) return moneyProblems(type.ofType, value, path);
  if (type instanceof GraphQLList) {
    return Array.isArray(value) ? value.flatMap((item, i) => moneyProblems(type.ofType, item, `${path}[${i}]`)) : moneyProblems(type.ofType, value, path);
  }
  if (isInputObjectType(type) && typeof value === 'object') {
    const fields = (type as GraphQLInputObjectType).getFields();
    return Object.entries(value as Record<string, unknown>).flatMap(([name, field]) => {
      const definition = fields[name];
      return definition ? moneyProblems(definition.type, field, `${path}.${name}`) : [];
    });
  }
  return type.name === MONEY && typeof value !== 'string' ? [path] : [];
}

/** The same check for variables, whose values validation never sees. */
export const moneyVariablesPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation, request, schema }) {
        const variables = request.variables ?? {};
        for (const definition of operation?.variableDefinitions ?? []) {
          const type = typeFromAST(schema, definition.type) as GraphQLInputType | undefined;
          const name = definition.variable.name.value;
          const problems = type ? moneyProblems(type, variables[name], `$${name}`) : [];
          if (problems.length > 0) throw refusal(problems.join(', '));
        }
      },
    };
  },
};
