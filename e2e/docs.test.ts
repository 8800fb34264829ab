// The operator docs against the code they describe: docs/SERVICES.md's port table against the
// process manifests (SERVICES), docs/EVENTS.md's catalog against the contracts' event types and
// payload schemas. Each disagreement is named; all of them are listed at once.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { EVENT_PAYLOADS, EVENT_TYPES, STREAMS } from '@rgb/contracts';
import { SERVICES } from '@rgb/platform';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';

const readDoc = (file: string) => fs.readFileSync(fileURLToPath(new URL(`../docs/${file}`, import.meta.url)), 'utf8');

/** The cells of a markdown table row (`| a | b |`), trimmed, or null for any other line. */
function cells(line: string): string[] | null {
  const trimmed = line.trim();
  if (!trimmed.startsWith('|') || !trimmed.endsWith('|')) return null;
  return trimmed
    .slice(1, -1)
    .split('|')
    .map((cell) => cell.trim());
}

/** `` `name` `` → `name`; anything else as is. */
const unquote = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

interface CatalogedProcess {
  kind: string;
  port: number;
  metricsPort: number;
  /** `name port` per extra listener, sorted. */
  listeners: string[];
}

/** docs/SERVICES.md's table under `## Ports`: one row per process. */
function catalogedProcesses(markdown: string): Map<string, CatalogedProcess> {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Ports'));
  if (!section) throw new Error('docs/SERVICES.md has no "## Ports" section');
  const processes = new Map<string, CatalogedProcess>();
  for (const row of section.split('\n').map(cells)) {
    if (!row || !row[0]?.startsWith('`')) continue;
    const [name, kind, port, metricsPort, listeners] = row.map(unquote);
    processes.set(name!, {
      kind: kind!,
      port: Number(port),
      metricsPort: Number(metricsPort),
      listeners: listeners === '—' ? [] : listeners!.split(',').map((listener) => unquote(listener.trim()).replace(/`/g, '')).sort(),
    });
  }
  return processes;
}

/** What docs/SERVICES.md says that SERVICES does not (empty when they agree). */
function serviceCatalogDrift(markdown: string): string[] {
  const cataloged = catalogedProcesses(markdown);
  const problems: string[] = [];
  for (const spec of SERVICES) {
    const entry = cataloged.get(spec.name);
    if (!entry) {
      problems.push(`docs/SERVICES.md has no row for ${spec.name}`);
      continue;
    }
    const expected: CatalogedProcess = {
      kind: spec.kind,
      port: spec.port,
      metricsPort: spec.metricsPort,
      listeners: spec.listeners.map((listener) => `${listener.name} ${listener.port}`).sort(),
    };
    for (const key of Object.keys(expected) as (keyof CatalogedProcess)[]) {
      if (JSON.stringify(entry[key]) !== JSON.stringify(expected[key])) {
        problems.push(`docs/SERVICES.md ${spec.name}: ${key} ${JSON.stringify(entry[key])}, the manifest says ${JSON.stringify(expected[key])}`);
      }
    }
  }
  for (const name of cataloged.keys()) {
    if (!SERVICES.some((spec) => spec.name === name)) problems.push(`docs/SERVICES.md lists ${name}, which no manifest has`);
  }
  return problems;
}

/** One `### \`TYPE\`` section of docs/EVENTS.md: its streams and its payload's fields with their types. */
interface CatalogedEvent {
  streams: string[];
  fields: Map<string, string>;
}

function catalogedEvents(markdown: string): Map<string, CatalogedEvent> {
  const events = new Map<string, CatalogedEvent>();
  for (const section of markdown.split(/^### /m).slice(1)) {
    const type = /^`([A-Z_]+)`/.exec(section)?.[1];
    if (!type) continue;
    const body = section.split(/^## /m)[0]!;
    const streams = [...(/^Streams: (.+)$/m.exec(body)?.[1] ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1]!).sort();
    const fields = new Map<string, string>();
    for (const row of body.split('\n').map(cells)) {
      if (row?.[0]?.startsWith('`')) fields.set(unquote(row[0]), row[1] ?? '');
    }
    if (events.has(type)) throw new Error(`docs/EVENTS.md catalogs ${type} twice`);
    events.set(type, { streams, fields });
  }
  return events;
}

/** A payload field's type in the catalog's words (docs/EVENTS.md "Types used below"). */
function typeName(schema: z.ZodType): string {
  const def = (schema as unknown as { _zod: { def: Record<string, unknown> } })._zod.def;
  switch (def.type) {
    case 'nullable':
      return `${typeName(def.innerType as z.ZodType)} or null`;
    case 'enum':
      return `enum ${Object.values(def.entries as Record<string, string>).join('/')}`;
    case 'record':
      return 'object';
    case 'string': {
      if (def.format === 'uuid') return 'uuid';
      if (def.format === 'datetime') return 'datetime';
      const checks = ((def.checks ?? []) as { _zod: { def: Record<string, unknown> } }[]).map((check) => check._zod.def);
      if (checks.some((check) => check.format === 'regex')) return 'minor units';
      if (checks.some((check) => check.check === 'length_equals' && check.length === 3)) return 'currency';
      return 'string';
    }
    default:
      throw new Error(`no catalog word for a ${String(def.type)} field: add one to docs/EVENTS.md and here`);
  }
}

/** Every emitted event type with the streams that carry it. */
function contractEvents(): Map<string, string[]> {
  const streamsOf = new Map<string, string[]>();
  for (const [name, types] of Object.entries(EVENT_TYPES) as [keyof typeof STREAMS, { emitted: readonly string[] }][]) {
    for (const type of types.emitted) streamsOf.set(type, [...(streamsOf.get(type) ?? []), STREAMS[name]]);
  }
  return streamsOf;
}

/** What docs/EVENTS.md says that packages/contracts does not (empty when they agree). */
function eventCatalogDrift(markdown: string): string[] {
  const cataloged = catalogedEvents(markdown);
  const problems: string[] = [];
  for (const [type, streams] of contractEvents()) {
    const entry = cataloged.get(type);
    if (!entry) {
      problems.push(`docs/EVENTS.md has no section for ${type}`);
      continue;
    }
    if (entry.streams.join(', ') !== [...streams].sort().join(', ')) {
      problems.push(`docs/EVENTS.md ${type}: streams ${entry.streams.join(', ') || 'none'}, the contract says ${[...streams].sort().join(', ')}`);
    }
    const shape = (EVENT_PAYLOADS as unknown as Record<string, z.ZodObject>)[type]!.shape;
    for (const [field, schema] of Object.entries(shape)) {
      const documented = entry.fields.get(field);
      if (documented === undefined) problems.push(`docs/EVENTS.md ${type}: no field ${field}`);
      else if (documented !== typeName(schema)) problems.push(`docs/EVENTS.md ${type}.${field}: type "${documented}", the schema says "${typeName(schema)}"`);
    }
    for (const field of entry.fields.keys()) {
      if (!(field in shape)) problems.push(`docs/EVENTS.md ${type}: field ${field}, which the payload schema does not have`);
    }
  }
  for (const type of cataloged.keys()) {
    if (!contractEvents().has(type)) problems.push(`docs/EVENTS.md catalogs ${type}, which no stream emits`);
  }
  return problems;
}

describe('the operator docs', () => {
  it('docs/SERVICES.md gives every process of the manifests, with its kind, port, metrics port and listeners', () => {
    expect(serviceCatalogDrift(readDoc('SERVICES.md'))).toEqual([]);
  });

  it('docs/EVENTS.md catalogs every emitted event type on its streams, with its payload fields and their types', () => {
    expect(eventCatalogDrift(readDoc('EVENTS.md'))).toEqual([]);
  });

  it('finds a drift it is shown: a process, port, event type, stream or field on one side only', () => {
    const services = readDoc('SERVICES.md');
    expect(serviceCatalogDrift(services.replace(/^\| `wallet_worker` .*\n/m, ''))).toEqual(['docs/SERVICES.md has no row for wallet_worker']);
    expect(serviceCatalogDrift(services.replace('| `game` | subgraph | 8012 | 9112 | `callback 8112` |', '| `game` | subgraph | 8012 | 9112 | — |'))).toEqual([
      'docs/SERVICES.md game: listeners [], the manifest says ["callback 8112"]',
    ]);
    const events = readDoc('EVENTS.md');
    expect(eventCatalogDrift(events.replace('### `DEPOSIT_DECLINED`', '### `DEPOSIT_DENIED`'))).toEqual([
      'docs/EVENTS.md has no section for DEPOSIT_DECLINED',
      'docs/EVENTS.md catalogs DEPOSIT_DENIED, which no stream emits',
    ]);
    expect(eventCatalogDrift(events.replace('| `depositor_name` | string |', '| `depositor` | string |'))).toEqual([
      'docs/EVENTS.md DEPOSIT_REQUESTED: no field depositor_name',
      'docs/EVENTS.md DEPOSIT_REQUESTED: field depositor, which the payload schema does not have',
    ]);
  });
});
