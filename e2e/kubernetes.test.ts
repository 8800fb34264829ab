// Static contract of deploy/k8s (kustomize base and local overlay): no cluster needed. The
// rendered objects are checked against the Kubernetes schemas and against the domain manifests
// and docker-compose.yml (the same processes, commands, ports and environment).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProcessManifest } from '@rgb/kit';
import { SERVICES } from '@rgb/platform';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BASE = path.join(ROOT, 'deploy/k8s/base');
const LOCAL = path.join(ROOT, 'deploy/k8s/overlays/local');
const SECRET_NAME = /SECRET|PASSWORD|_KEY|TOKEN|DATABASE_URL/;
/** The one Secret the manifests reference; it is created beside them, never committed. */
const SECRETS = 'rgb-secrets';
/** Compose's worker heartbeat file: Kubernetes probes GET /live and GET /ready instead (base/probes.yaml). */
const COMPOSE_ONLY_ENV = new Set(['HEARTBEAT_FILE']);
/** Sized for many replicas on one PostgreSQL (rgb-config); compose runs one of each, on the default. */
const K8S_ONLY_ENV = new Set(['DATABASE_POOL_SIZE']);

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
interface Probe {
  httpGet?: { path?: string; port?: number | string };
}
interface Lifecycle {
  preStop?: { exec?: { command?: string[] } };
}
interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  lifecycle?: Lifecycle;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string }[];
  securityContext?: {
    runAsNonRoot?: boolean;
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}
interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: {
    containers: Container[];
    initContainers?: Container[];
    terminationGracePeriodSeconds?: number;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
    volumes?: { name: string; emptyDir?: object }[];
  };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> } & Record<string, string>;
    template?: PodTemplate;
    scaleTargetRef?: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas?: number;
    ports?: { name?: string; port: number; targetPort?: number | string }[];
    type?: string;
    externalName?: string;
  };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

const readYaml = <T>(file: string) => YAML.parse(fs.readFileSync(file, 'utf8'), { merge: true }) as T;
const parseAll = (text: string) =>
  YAML.parseAllDocuments(text)
    .map((document) => document.toJS() as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);

interface ComposeService {
  command?: string[];
  environment?: Record<string, unknown>;
}
const compose = readYaml<{ services: Record<string, ComposeService> }>(path.join(ROOT, 'docker-compose.yml')).services;
/** The value compose uses when the variable is unset: `${X:-d}` becomes `d`. */
const withDefaults = (value: string) => value.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
function composeService(name: string): ComposeService {
  const service = compose[name];
  if (!service) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}
const composeEnv = (name: string) =>
  Object.fromEntries(Object.entries(composeService(name).environment ?? {}).map(([key, value]) => [key, withDefaults(String(value))]));

/** Kubernetes names are DNS labels: `player_worker` runs as `player-worker`. */
const objectName = (spec: ProcessManifest) => spec.name.replaceAll('_', '-');

// --- schemas ------------------------------------------------------------------------------------

type Model = new (data: object) => { validate(): void };

/** The kubernetes-models class of `apiVersion`/`kind`; throws on a kind it has no model for. */
async function modelOf(apiVersion: string, kind: string): Promise<Model> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const module = (await import(group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`).catch(() => ({}))) as Record<string, unknown>;
  const model = module[kind];
  if (typeof model !== 'function') throw new Error(`kubernetes-models has no model for ${apiVersion} ${kind}`);
  return model as Model;
}

/** Each object that does not validate against its schema, with the reason (empty when all do). */
async function schemaErrors(objects: K8sObject[]): Promise<string[]> {
  const errors: string[] = [];
  for (const object of objects) {
    try {
      const Model = await modelOf(object.apiVersion, object.kind);
      new Model(object).validate();
    } catch (error) {
      errors.push(`${object.kind}/${object.metadata?.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return errors;
}

// --- rendering ----------------------------------------------------------------------------------

const kubectlMissing = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;
/** Without kubectl the rendered cases are skipped, except in CI, where they fail naming it. */
const withKubectl = kubectlMissing && !process.env.CI ? it.skip : it;

function kustomize(directory: string): { objects: K8sObject[]; warnings: string } {
  if (kubectlMissing) throw new Error(`kubectl is not installed (${kubectlMissing.message}): it renders deploy/k8s (kubectl kustomize)`);
  const result = spawnSync('kubectl', ['kustomize', directory], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${path.relative(ROOT, directory)} failed:\n${result.stderr}`);
  return { objects: parseAll(result.stdout), warnings: result.stderr };
}

const rendered = new Map<string, { objects: K8sObject[]; warnings: string }>();
const render = (directory: string) => rendered.get(directory) ?? rendered.set(directory, kustomize(directory)).get(directory)!;

/** The base's resource files as written, parsed without kubectl. */
function baseFiles(): K8sObject[] {
  const { resources = [] } = readYaml<{ resources?: string[] }>(path.join(BASE, 'kustomization.yaml'));
  return resources.flatMap((file) => parseAll(fs.readFileSync(path.join(BASE, file), 'utf8')));
}

// --- reading the rendered objects ------------------------------------------------------------------

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((object) => object.kind === kind);
function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}
const podTemplates = (objects: K8sObject[]) =>
  objects.filter((object) => object.kind === 'Deployment' || object.kind === 'Job').map((object) => ({ object, template: object.spec!.template! }));
const containerOf = (object: K8sObject) => object.spec!.template!.spec.containers[0]!;

/** A container's environment as Kubernetes gives it: its ConfigMaps' data, then its own env. */
function environment(objects: K8sObject[], container: Container): Map<string, EnvVar> {
  const env = new Map<string, EnvVar>();
  for (const source of container.envFrom ?? []) {
    if (!source.configMapRef) continue;
    const configMap = named(objects, 'ConfigMap', source.configMapRef.name);
    for (const [name, value] of Object.entries(configMap.data ?? {})) env.set(name, { name, value });
  }
  for (const variable of container.env ?? []) env.set(variable.name, variable);
  return env;
}

function portNumber(container: Container, port: number | string | undefined): number | undefined {
  return typeof port === 'number' ? port : container.ports?.find((candidate) => candidate.name === port)?.containerPort;
}

/** Every secretKeyRef and secretRef of every pod. */
function secretReferences(objects: K8sObject[]): { name: string; key?: string; where: string }[] {
  return podTemplates(objects).flatMap(({ object, template }) =>
    template.spec.containers.flatMap((container) => [
      ...(container.env ?? []).flatMap((variable) =>
        variable.valueFrom?.secretKeyRef ? [{ ...variable.valueFrom.secretKeyRef, where: `${object.metadata.name}: ${variable.name}` }] : [],
      ),
      ...(container.envFrom ?? []).flatMap((source) => (source.secretRef ? [{ name: source.secretRef.name, where: `${object.metadata.name}: envFrom` }] : [])),
    ]),
  );
}

/** Job `name` runs compose's service of that name: its command, its environment (secrets from the Secret). */
function expectComposeJob(objects: K8sObject[], name: string): void {
  const job = named(objects, 'Job', name);
  const container = containerOf(job);
  expect(container.command, `${name}: command`).toEqual(composeService(name).command);
  expect(job.spec!.template!.spec).toMatchObject({ restartPolicy: 'Never' });
  const env = environment(objects, container);
  for (const [key, value] of Object.entries(composeEnv(name))) {
    if (SECRET_NAME.test(key)) expect(env.get(key)?.valueFrom?.secretKeyRef, `${name}: ${key}`).toEqual({ name: SECRETS, key });
    else expect(env.get(key)?.value, `${name}: ${key}`).toBe(value);
  }
}

/** Every pod runs hardened: as the non-root node user, read-only, without privileges, /tmp an emptyDir. */
function expectHardened(objects: K8sObject[]): void {
  for (const { object, template } of podTemplates(objects)) {
    const name = `${object.kind}/${object.metadata.name}`;
    expect(template.spec.securityContext, name).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(template.spec.volumes, name).toContainEqual({ name: 'tmp', emptyDir: expect.any(Object) });
    for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
      const where = `${name} ${container.name}`;
      expect(container.securityContext, where).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      expect(container.volumeMounts, where).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
      expect(container.resources?.requests, `${where}: requests`).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
      expect(container.resources?.limits, `${where}: limits`).toMatchObject({ memory: expect.any(String) });
    }
  }
}

const apis = SERVICES.filter((spec) => spec.kind !== 'worker');
const workers = SERVICES.filter((spec) => spec.kind === 'worker');

describe('deploy/k8s/base, as written (no kubectl needed)', () => {
  it('validates every object of its resource files against the Kubernetes schemas', async () => {
    const objects = baseFiles();
    expect(objects.length).toBeGreaterThan(SERVICES.length);
    expect(await schemaErrors(objects)).toEqual([]);
  });

  it('refuses a broken copy and a kind it has no model for, naming them', async () => {
    const deployment = structuredClone(baseFiles().find((object) => object.kind === 'Deployment')!);
    containerOf(deployment).ports![0]!.containerPort = 'http' as unknown as number;
    const errors = await schemaErrors([deployment, { apiVersion: 'example.com/v1', kind: 'Casino', metadata: { name: 'x' } }]);
    expect(errors).toEqual([
      expect.stringMatching(new RegExp(`^Deployment/${deployment.metadata.name}: .*containerPort must be integer`)),
      'Casino/x: kubernetes-models has no model for example.com/v1 Casino',
    ]);
  });
});

describe('deploy/k8s/base, rendered (kubectl kustomize)', () => {
  const base = () => render(BASE).objects;

  withKubectl('renders without warnings, and every object validates against the Kubernetes schemas', async () => {
    expect(render(BASE).warnings).toBe('');
    expect(await schemaErrors(base())).toEqual([]);
  });

  withKubectl('runs a Deployment per process of the domain manifests, and nothing else, each on its compose command', () => {
    expect(ofKind(base(), 'Deployment').map((object) => object.metadata.name).sort()).toEqual(SERVICES.map(objectName).sort());
    for (const spec of SERVICES) {
      const deployment = named(base(), 'Deployment', objectName(spec));
      expect(deployment.spec!.template!.spec.containers, `${spec.name}: one container`).toHaveLength(1);
      expect(containerOf(deployment).command, `${spec.name}: command`).toEqual(composeService(spec.name).command);
    }
  });

  withKubectl('opens the manifest ports of each process: PORT as http, METRICS_PORT as metrics, each extra listener by its name', () => {
    for (const spec of SERVICES) {
      const container = containerOf(named(base(), 'Deployment', objectName(spec)));
      const env = environment(base(), container);
      const expected = [
        { name: 'http', containerPort: spec.port, env: 'PORT' },
        { name: 'metrics', containerPort: spec.metricsPort, env: 'METRICS_PORT' },
        ...spec.listeners.map((listener) => ({ name: listener.name, containerPort: listener.port, env: listener.portEnv })),
      ];
      expect(container.ports, `${spec.name}: ports`).toEqual(expected.map(({ name, containerPort }) => ({ name, containerPort })));
      for (const port of expected) expect(env.get(port.env)?.value, `${spec.name}: ${port.env}`).toBe(String(port.containerPort));
    }
  });

  withKubectl("gives each process docker-compose.yml's environment: same values, secrets from the Secret", () => {
    for (const spec of SERVICES) {
      const env = environment(base(), containerOf(named(base(), 'Deployment', objectName(spec))));
      const expected = composeEnv(spec.name);
      for (const [name, value] of Object.entries(expected)) {
        if (COMPOSE_ONLY_ENV.has(name)) continue;
        const variable = env.get(name);
        if (SECRET_NAME.test(name)) expect(variable?.valueFrom?.secretKeyRef, `${spec.name}: ${name}`).toEqual({ name: SECRETS, key: name });
        else expect(variable?.value, `${spec.name}: ${name}`).toBe(value);
      }
      expect([...env.keys()].filter((name) => !(name in expected) && !K8S_ONLY_ENV.has(name)), `${spec.name}: variables compose does not set`).toEqual([]);
    }
    expect(environment(base(), containerOf(named(base(), 'Deployment', 'player'))).get('ENABLE_OUTBOX_POLLER')?.value).toBe('false');
    expect(environment(base(), containerOf(named(base(), 'Deployment', 'player-worker'))).get('ENABLE_OUTBOX_POLLER')?.value).toBe('true');
  });

  withKubectl('probes every process on its PORT: liveness and startup on GET /live, readiness on GET /ready, never /health', () => {
    const expected = { startupProbe: '/live', livenessProbe: '/live', readinessProbe: '/ready' } as const;
    for (const spec of SERVICES) {
      const container = containerOf(named(base(), 'Deployment', objectName(spec)));
      for (const [kind, probePath] of Object.entries(expected)) {
        const probe = container[kind as keyof typeof expected]?.httpGet;
        expect({ path: probe?.path, port: portNumber(container, probe?.port) }, `${spec.name}: ${kind}`).toEqual({ path: probePath, port: spec.port });
      }
    }
  });

  withKubectl("starts every Deployment's pods after an init container waits for its image's migrations, as migrate's Job applies them", () => {
    const migrate = containerOf(named(base(), 'Job', 'migrate'));
    for (const deployment of ofKind(base(), 'Deployment')) {
      const init = deployment.spec!.template!.spec.initContainers ?? [];
      expect(init.map((container) => container.name), deployment.metadata.name).toEqual(['await-migrations']);
      expect(init[0], deployment.metadata.name).toMatchObject({
        image: migrate.image,
        command: ['node', 'packages/db/dist/cli.js', 'await-migrations', '--timeout', expect.stringMatching(/^\d+$/)],
        env: [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: SECRETS, key: 'DATABASE_URL' } } }],
      });
    }
  });

  withKubectl('lets the router and every API drain on a rollout: a preStop pause, and a grace period above it and the 20 s the process takes', () => {
    const { stop_grace_period: drain } = readYaml<{ 'x-node': { stop_grace_period: string } }>(path.join(ROOT, 'docker-compose.yml'))['x-node'];
    for (const spec of apis) {
      const pod = named(base(), 'Deployment', objectName(spec)).spec!.template!.spec;
      const command = pod.containers[0]!.lifecycle?.preStop?.exec?.command;
      expect(command?.[0], `${spec.name}: preStop`).toBe('sleep');
      expect(pod.terminationGracePeriodSeconds, `${spec.name}: terminationGracePeriodSeconds`).toBeGreaterThanOrEqual(Number(command?.[1]) + Number.parseInt(drain, 10) + 10);
    }
    for (const spec of workers) expect(containerOf(named(base(), 'Deployment', objectName(spec))).lifecycle, `${spec.name}: no Service to leave`).toBeUndefined();
  });

  withKubectl('bounds the database connections: DATABASE_POOL_SIZE below the default 10, for every process', () => {
    for (const spec of SERVICES) {
      const size = Number(environment(base(), containerOf(named(base(), 'Deployment', objectName(spec)))).get('DATABASE_POOL_SIZE')?.value);
      expect(size, spec.name).toBeGreaterThan(0);
      expect(size, spec.name).toBeLessThan(10);
    }
  });

  withKubectl('autoscales the router and every API on CPU, and no worker (workers scale by replicas)', () => {
    const autoscaled = ofKind(base(), 'HorizontalPodAutoscaler').map((hpa) => hpa.spec!.scaleTargetRef);
    expect(autoscaled.map((target) => target?.name).sort()).toEqual(apis.map(objectName).sort());
    for (const target of autoscaled) expect(target).toMatchObject({ apiVersion: 'apps/v1', kind: 'Deployment' });
    for (const spec of apis) {
      const container = containerOf(named(base(), 'Deployment', objectName(spec)));
      expect(container.resources?.requests?.cpu, `${spec.name}: a CPU request, which the autoscaler measures against`).toBeDefined();
      expect(named(base(), 'Deployment', objectName(spec)).spec!.replicas, `${spec.name}: replicas are the autoscaler's`).toBeUndefined();
    }
    for (const spec of workers) expect(named(base(), 'Deployment', objectName(spec)).spec!.replicas, `${spec.name}: replicas`).toBeGreaterThanOrEqual(1);
  });

  withKubectl('gives every Deployment one PodDisruptionBudget that selects its pods and lets one go at a time', () => {
    for (const deployment of ofKind(base(), 'Deployment')) {
      const podLabels = deployment.spec!.template!.metadata!.labels!;
      const budgets = ofKind(base(), 'PodDisruptionBudget').filter((pdb) =>
        Object.entries(pdb.spec!.selector!.matchLabels ?? {}).every(([key, value]) => podLabels[key] === value),
      );
      expect(budgets.map((pdb) => pdb.metadata.name), `${deployment.metadata.name}: budgets`).toEqual([deployment.metadata.name]);
      expect(budgets[0]!.spec, deployment.metadata.name).toMatchObject({ maxUnavailable: 1 });
    }
  });

  withKubectl('exposes every API (and the listeners the router reaches) through a Service of its name, on its ports', () => {
    expect(ofKind(base(), 'Service').map((service) => service.metadata.name).sort()).toEqual(apis.map((spec) => spec.name).sort());
    for (const spec of apis) {
      const service = named(base(), 'Service', spec.name);
      const podLabels = named(base(), 'Deployment', objectName(spec)).spec!.template!.metadata!.labels!;
      for (const [key, value] of Object.entries(service.spec!.selector ?? {})) expect(podLabels[key], `${spec.name}: selector ${key}`).toBe(value);
      expect(service.spec!.ports, `${spec.name}: Service ports`).toEqual([
        { name: 'http', port: spec.port, targetPort: 'http' },
        ...spec.listeners.map((listener) => ({ name: listener.name, port: listener.port, targetPort: listener.name })),
      ]);
    }
  });

  withKubectl("points the router's SUBGRAPH_*_URL at each subgraph's Service, and every http URL of every pod at a Service port", () => {
    const routerEnv = environment(base(), containerOf(named(base(), 'Deployment', 'router')));
    for (const spec of SERVICES.filter((candidate) => candidate.kind === 'subgraph')) {
      expect(routerEnv.get(`SUBGRAPH_${spec.name.toUpperCase()}_URL`)?.value).toBe(`http://${spec.name}:${spec.port}/graphql`);
      for (const listener of spec.listeners) {
        expect(routerEnv.get(`${spec.name}_${listener.name}_URL`.toUpperCase())?.value).toBe(`http://${spec.name}:${listener.port}`);
      }
    }
    let checked = 0;
    for (const { object, template } of podTemplates(base())) {
      for (const variable of environment(base(), template.spec.containers[0]!).values()) {
        if (!variable.value || !/^https?:\/\//.test(variable.value)) continue;
        const url = new URL(variable.value);
        if (url.hostname === 'localhost') continue; // a public address players open (RGS_PUBLIC_URL), not called inside
        checked++;
        const service = ofKind(base(), 'Service').find((candidate) => candidate.metadata.name === url.hostname);
        expect(service?.spec?.ports?.map((port) => port.port), `${object.metadata.name}: ${variable.name} ${variable.value}`).toContain(Number(url.port));
      }
    }
    expect(checked).toBeGreaterThan(SERVICES.length);
  });

  withKubectl("runs compose's migrate as a Job, and never the demo seed", () => {
    expect(ofKind(base(), 'Job').map((job) => job.metadata.name)).toEqual(['migrate']);
    expectComposeJob(base(), 'migrate');
  });

  withKubectl('runs every pod as the non-root node user, read-only, without privileges, /tmp an emptyDir', () => {
    expect(podTemplates(base())).toHaveLength(SERVICES.length + 1);
    expectHardened(base());
  });

  withKubectl('labels every object and pod with the recommended labels', () => {
    for (const object of base()) {
      const labels = [object.metadata.labels, ...(object.spec?.template ? [object.spec.template.metadata?.labels] : [])];
      for (const set of labels) {
        expect(set, `${object.kind}/${object.metadata.name}`).toMatchObject({ 'app.kubernetes.io/part-of': 'rgb-platform' });
        if (object.kind !== 'ConfigMap') expect(set, `${object.kind}/${object.metadata.name}`).toMatchObject({ 'app.kubernetes.io/name': expect.any(String), 'app.kubernetes.io/component': expect.any(String) });
      }
    }
  });
});

describe('secrets', () => {
  const renderings = () => [render(BASE).objects, render(LOCAL).objects];

  withKubectl('are never in the manifests: no Secret, no secret-looking value, every one from a secretKeyRef of rgb-secrets', () => {
    let checked = 0;
    for (const objects of renderings()) {
      expect(ofKind(objects, 'Secret'), 'Secret objects').toEqual([]);
      for (const configMap of ofKind(objects, 'ConfigMap')) {
        for (const [key, value] of Object.entries(configMap.data ?? {})) {
          expect(key, `ConfigMap ${configMap.metadata.name}: ${key} looks secret`).not.toMatch(SECRET_NAME);
          expect(value, `ConfigMap ${configMap.metadata.name}: ${key} embeds a password`).not.toMatch(/:\/\/[^/@]*:[^@]*@/);
        }
      }
      for (const { object, template } of podTemplates(objects)) {
        for (const variable of template.spec.containers.flatMap((container) => container.env ?? [])) {
          if (!SECRET_NAME.test(variable.name)) continue;
          checked++;
          expect(variable.value, `${object.metadata.name}: ${variable.name} has a literal value`).toBeUndefined();
          expect(variable.valueFrom?.secretKeyRef?.name, `${object.metadata.name}: ${variable.name}`).toBe(SECRETS);
        }
      }
    }
    expect(checked).toBeGreaterThan(SERVICES.length);
  });

  withKubectl("are each listed, empty, in the local overlay's example env file and README", () => {
    const example = new Map(
      fs
        .readFileSync(path.join(LOCAL, 'rgb-secrets.env.example'), 'utf8')
        .split('\n')
        .map((line) => /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim()))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => [match[1]!, match[2]!]),
    );
    const readme = fs.readFileSync(path.join(LOCAL, 'README.md'), 'utf8');
    const keys = [...new Set(renderings().flatMap((objects) => secretReferences(objects).map((reference) => reference.key ?? `(all of ${reference.where})`)))].sort();
    expect(keys).toEqual(expect.arrayContaining(['AUTH_JWT_SECRET', 'DATABASE_URL', 'INTERNAL_JWT_SECRET']));
    expect([...example.keys()].sort(), 'rgb-secrets.env.example: exactly the referenced keys').toEqual(keys);
    for (const key of keys) {
      expect(example.get(key), `rgb-secrets.env.example must not hold a value for ${key}`).toBe('');
      expect(readme, `README.md names ${key}`).toContain(`\`${key}\``);
    }
  });
});

describe('deploy/k8s/overlays/local, rendered', () => {
  const local = () => render(LOCAL).objects;

  withKubectl('renders without warnings, and every object validates against the Kubernetes schemas', async () => {
    expect(render(LOCAL).warnings).toBe('');
    expect(await schemaErrors(local())).toEqual([]);
  });

  it('uses no deprecated kustomize field', () => {
    for (const directory of [BASE, LOCAL]) {
      const kustomization = readYaml<Record<string, unknown>>(path.join(directory, 'kustomization.yaml'));
      for (const field of ['bases', 'commonLabels', 'patchesStrategicMerge', 'patchesJson6902', 'vars', 'imageTags']) {
        expect(kustomization[field], `${path.relative(ROOT, directory)}: ${field}`).toBeUndefined();
      }
    }
  });

  withKubectl('puts everything in namespace rgb, one pod of each, on the local image, never pulled', () => {
    for (const object of local()) {
      if (object.kind !== 'Namespace') expect(object.metadata.namespace, `${object.kind}/${object.metadata.name}`).toBe('rgb');
    }
    expect(named(local(), 'Namespace', 'rgb')).toBeDefined();
    expect(ofKind(local(), 'Deployment').map((object) => object.metadata.name).sort()).toEqual(SERVICES.map(objectName).sort());
    for (const spec of workers) expect(named(local(), 'Deployment', objectName(spec)).spec!.replicas, spec.name).toBe(1);
    for (const hpa of ofKind(local(), 'HorizontalPodAutoscaler')) expect(hpa.spec!.minReplicas, hpa.metadata.name).toBe(1);
    for (const { object, template } of podTemplates(local())) {
      for (const container of [...(template.spec.initContainers ?? []), ...template.spec.containers]) {
        expect({ image: container.image, pull: container.imagePullPolicy }, object.metadata.name).toEqual({ image: 'rgb-platform:local', pull: 'IfNotPresent' });
      }
    }
  });

  withKubectl("runs the demo seed as a Job beside migrate, on compose's command and environment, labelled and hardened as the base's pods", () => {
    expect(ofKind(local(), 'Job').map((job) => job.metadata.name).sort()).toEqual(['migrate', 'seed']);
    expectComposeJob(local(), 'seed');
    expect(podTemplates(local())).toHaveLength(SERVICES.length + 2);
    expectHardened(local());
    const seed = named(local(), 'Job', 'seed');
    for (const labels of [seed.metadata.labels, seed.spec!.template!.metadata?.labels]) expect(labels).toMatchObject({ 'app.kubernetes.io/part-of': 'rgb-platform' });
  });

  withKubectl('reaches PostgreSQL and Redis outside the cluster by the names DATABASE_URL and REDIS_URL use', () => {
    const config = ofKind(local(), 'ConfigMap').find((configMap) => configMap.data?.REDIS_URL)!;
    const names = ['postgres', new URL(config.data!.REDIS_URL!).hostname];
    expect(names).toEqual(['postgres', 'redis']);
    for (const name of names) expect(named(local(), 'Service', name).spec).toMatchObject({ type: 'ExternalName', externalName: expect.any(String) });
  });
});
