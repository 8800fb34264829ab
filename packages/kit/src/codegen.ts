import { resolve } from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';
import { subgraphSdl } from './subgraph-sdl';

/**
 * The one codegen setup of every subgraph: typed resolvers (federation-aware) from its SDL
 * (schema.graphql with the shared types it names) into src/generated. `mappers` names the
 * domain types resolvers return.
 */
export function subgraphCodegenConfig(mappers: Record<string, string> = {}): CodegenConfig {
  return {
    schema: subgraphSdl(resolve('schema.graphql')),
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
