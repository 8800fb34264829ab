// Static contract of the Dockerfile (no engine needed): a build stage that compiles and prunes,
// a final stage that only copies its result and runs it as a non-root user, and every command
// that runs the image (its CMD, docker-compose.yml, deploy/k8s) starting a file the build writes.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { compiledEntry } from '@rgb/platform';
import { BUILD_ENTRIES } from '@rgb/platform/build';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined, comments dropped). */
function stagesOf(text: string): Stage[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      stages.push({ name: /\sAS\s+(\S+)$/i.exec(args)?.[1] ?? String(stages.length), instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
}

const stages = stagesOf(fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
const final = stages.at(-1)!;
const of = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.keyword === keyword);
const COMPILED = new Set(BUILD_ENTRIES.map(compiledEntry));

/** The script a command runs: its first argument after node's own options (`--import x`). */
function entryOf(command: string[]): string | undefined {
  const [program, ...args] = command;
  if (program !== 'node') return undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--import') i++;
    else if (!args[i]!.startsWith('-')) return args[i]!.replace(/^\.\//, '');
  }
  return undefined;
}

/** Every command that runs the image: compose's services and the Kubernetes base's containers. */
function commandsRunningTheImage(): { where: string; command: string[] }[] {
  const compose = YAML.parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { command?: string[]; build?: unknown }>;
  };
  const fromCompose = Object.entries(compose.services)
    .filter(([, service]) => service.build !== undefined)
    .map(([name, service]) => ({ where: `docker-compose.yml ${name}`, command: service.command ?? [] }));
  const base = path.join(ROOT, 'deploy/k8s/base');
  const { resources } = YAML.parse(fs.readFileSync(path.join(base, 'kustomization.yaml'), 'utf8')) as { resources: string[] };
  const fromKubernetes = resources.flatMap((file) =>
    YAML.parseAllDocuments(fs.readFileSync(path.join(base, file), 'utf8'))
      .map((document) => document.toJS() as { kind: string; metadata: { name: string }; spec?: { template?: { spec: { containers: { command?: string[] }[] } } } })
      .flatMap((object) => (object.spec?.template?.spec.containers ?? []).map((container) => ({ where: `deploy/k8s ${object.kind}/${object.metadata.name}`, command: container.command ?? [] }))),
  );
  return [...fromCompose, ...fromKubernetes];
}

describe('Dockerfile', () => {
  it('is multi-stage: the final stage copies the build stage, pruned to production dependencies after the build', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const copies = of(final, 'COPY').map((copy) => /--from=(\S+)/.exec(copy.args)?.[1]);
    expect(copies.length).toBeGreaterThan(0);
    for (const source of copies) {
      const stage = stages.find((candidate) => candidate.name === source);
      expect(stage, `the final stage copies from ${source ?? 'the build context'}, not a stage`).toBeDefined();
      const runs = of(stage!, 'RUN').map((run) => run.args).join(' && ');
      const build = runs.indexOf('npm run build');
      const prune = runs.search(/npm prune --omit=dev/);
      expect(build, `${source}: runs npm run build`).toBeGreaterThanOrEqual(0);
      expect(prune, `${source}: prunes to production dependencies after the build`).toBeGreaterThan(build);
    }
  });

  it('installs nothing in the final stage and runs it as a non-root user', () => {
    for (const run of of(final, 'RUN')) expect(run.args, 'the final stage installs dependencies').not.toMatch(/\bnpm (ci|install|i)\b|\byarn\b|\bpnpm\b/);
    const user = of(final, 'USER').at(-1)?.args;
    expect(user, 'the final stage sets a USER').toBeDefined();
    expect(user!.split(':')[0], 'the final USER').not.toMatch(/^(root|0)$/);
  });

  it('runs, by default and in every compose and Kubernetes command, an entry that npm run build writes', () => {
    const cmd = of(final, 'CMD').at(-1);
    expect(cmd, 'the final stage has a CMD').toBeDefined();
    const commands = [{ where: 'Dockerfile CMD', command: JSON.parse(cmd!.args) as string[] }, ...commandsRunningTheImage()];
    expect(commands.filter(({ where }) => where.startsWith('deploy/k8s')).length).toBeGreaterThan(0);
    for (const { where, command } of commands) {
      const entry = entryOf(command);
      expect(entry, `${where}: ${command.join(' ')} runs no node entry`).toBeDefined();
      expect(COMPILED.has(entry!), `${where}: ${entry} is not an entry npm run build writes`).toBe(true);
      const imports = command.flatMap((word, i) => (command[i - 1] === '--import' ? [word.replace(/^\.\//, '')] : []));
      for (const imported of imports) expect(COMPILED.has(imported), `${where}: --import ${imported} is not built`).toBe(true);
    }
  });
});
