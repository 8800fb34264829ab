import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/**
 * `Money`: a decimal string in major units. Accepted only as a string, so a float never enters;
 * exactness for the currency is checked where the currency is known (parseMoney).
 */
export const MoneyScalar = new GraphQLScalarType({
  name: 'Money',
  description: 'A decimal string in major units of the currency, e.g. "10.50"; never a float.',
  serialize(value) {
    if (typeof value !== 'string') throw new GraphQLError('Money must be produced as a string');
    return value;
  },
  parseValue(value) {
    if (typeof value !== 'string') throw new GraphQLError('Money must be a decimal string, e.g. "10.50"', { extensions: { code: 'BAD_USER_INPUT' } });
    return value;
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('Money must be a decimal string, e.g. "10.50"', { extensions: { code: 'BAD_USER_INPUT' } });
    return ast.value;
  },
});
