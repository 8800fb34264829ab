import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { subgraphSdl } from '@rgb/kit';
import { parse } from 'graphql';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const supergraphYaml = z.object({
  federation_version: z.string().optional(),
  subgraphs: z.record(
    z.string(),
    z.object({ routing_url: z.url(), schema: z.object({ file: z.string() }) }),
  ),
});

export interface SubgraphSource {
  name: string;
  url: string;
  sdl: string;
}

/**
 * Reads the rover-style supergraph.yaml: each subgraph's SDL from its file with the shared types
 * it names (subgraphSdl, as the subgraph itself serves it), its URL from `routing_url` unless
 * `SUBGRAPH_<NAME>_URL` overrides it for this deployment.
 */
export function readSupergraphConfig(path: string, env: NodeJS.ProcessEnv = process.env): SubgraphSource[] {
  const config = supergraphYaml.parse(parseYaml(readFileSync(path, 'utf8')));
  return Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: env[`SUBGRAPH_${name.toUpperCase()}_URL`] ?? subgraph.routing_url,
    sdl: subgraphSdl(resolve(dirname(path), subgraph.schema.file)),
  }));
}

export class CompositionError extends Error {
  override readonly name = 'CompositionError';
}

/** Composes the supergraph SDL, or throws with every composition error listed. */
export function composeSupergraph(subgraphs: SubgraphSource[]): string {
  const result = composeServices(subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) })));
  if (result.errors) {
    throw new CompositionError(`supergraph composition failed:\n${result.errors.map((e) => `  - ${e.message}`).join('\n')}`);
  }
  return result.supergraphSdl;
}
