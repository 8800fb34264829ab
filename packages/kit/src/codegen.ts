import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * The one codegen setup of every subgraph: typed resolvers (federation-aware) from its
 * schema.graphql into src/generated. `mappers` names the domain types resolvers return.
 */
export function subgraphCodegenConfig(mappers: Record<string, string> = {}): CodegenConfig {
  return {
    schema: 'schema.graphql',
    generates: {
      'src/generated/resolvers-types.ts': {
        plugins: ['typescript', 'typescript-resolvers'],
        config: {
          federation: true,
          useTypeImports: true,
          contextType: '../context#Context',
          scalars: { Money: 'string', DateTime: 'Date | string' },
          mappers,
          enumsAsTypes: true,
          avoidOptionals: { field: true, inputValue: false, object: false, defaultValue: false },
          maybeValue: 'T | null',
        },
      },
    },
  };
}
