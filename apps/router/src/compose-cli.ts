import { writeFileSync } from 'node:fs';
import { loadRouterConfig } from './config';
import { composeSupergraph, readSupergraphConfig } from './supergraph';

const config = loadRouterConfig();
const target = new URL('../../../supergraph.graphql', import.meta.url).pathname;
try {
  writeFileSync(target, composeSupergraph(readSupergraphConfig(config.SUPERGRAPH_CONFIG)));
  process.stdout.write(`wrote ${target}\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
