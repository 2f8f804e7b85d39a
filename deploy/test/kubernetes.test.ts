import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { parseDeadLettersArgs } from '@shop/messaging/dead-letters-cli';
import {
  configProblems,
  readText,
  requiredInDeployment,
  runTool,
  serviceNames,
  type ServiceName,
} from './support';

interface Probe {
  httpGet?: { path: string; port: string | number };
}

interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: unknown };
  }[];
  envFrom?: { configMapRef?: { name: string } }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: {
    requests?: { cpu?: string; memory?: string };
    limits?: { cpu?: string; memory?: string };
  };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean };
}

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  spec?: {
    selector?: Record<string, string> | { matchLabels?: Record<string, string> };
    ports?: { name?: string; port: number; targetPort?: string | number }[];
    scaleTargetRef?: { kind: string; name: string };
    minReplicas?: number;
    template?: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: {
        securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
        containers: Container[];
      };
    };
  };
}

function kustomize(dir: string): Resource[] {
  const result = runTool('kubectl', ['kustomize', dir]);
  assert.equal(result.status, 0, result.stderr);
  return parseAllDocuments(result.stdout).map((document) => {
    assert.deepEqual(document.errors, [], `${dir} renders invalid YAML`);
    return document.toJS() as Resource;
  });
}

const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 &&
  Object.entries(selector).every(([key, value]) => labels[key] === value);

const randomHex = () => randomBytes(32).toString('hex');

const exampleSecret = parse(readText('deploy/k8s/secret.example.yaml')) as Resource;

describe('deploy/k8s/base (kubectl kustomize)', () => {
  const resources = kustomize('deploy/k8s/base');
  const ofKind = (kind: string) => resources.filter((resource) => resource.kind === kind);
  const deployments = ofKind('Deployment');
  const deploymentOf = (service: ServiceName) => {
    const deployment = deployments.find((candidate) => candidate.metadata.name === service);
    assert.ok(deployment, `no Deployment for ${service}`);
    return deployment;
  };
  const podOf = (deployment: Resource) => deployment.spec!.template!;

  test('when rendered, then each of the six services has a Deployment', () => {
    assert.deepEqual(
      deployments.map(({ metadata }) => metadata.name).sort(),
      [...serviceNames].sort(),
    );
  });

  test('when a pod runs, then it has liveness, readiness and startup probes on its port', () => {
    for (const deployment of deployments) {
      for (const container of podOf(deployment).spec.containers) {
        const where = `${deployment.metadata.name}/${container.name}`;
        assert.equal(container.livenessProbe?.httpGet?.path, '/health', `${where} liveness`);
        assert.equal(container.readinessProbe?.httpGet?.path, '/ready', `${where} readiness`);
        assert.ok(container.startupProbe?.httpGet, `${where} has no startupProbe`);
        for (const probe of [
          container.livenessProbe,
          container.readinessProbe,
          container.startupProbe,
        ]) {
          const port = probe?.httpGet?.port;
          assert.ok(
            container.ports?.some((p) => p.name === port || p.containerPort === port),
            `${where} probes port ${String(port)}, which the container does not declare`,
          );
        }
      }
    }
  });

  test('when scheduled, then every container has CPU and memory requests and limits', () => {
    for (const deployment of deployments) {
      for (const container of podOf(deployment).spec.containers) {
        const { requests, limits } = container.resources ?? {};
        for (const [name, value] of Object.entries({
          'requests.cpu': requests?.cpu,
          'requests.memory': requests?.memory,
          'limits.cpu': limits?.cpu,
          'limits.memory': limits?.memory,
        })) {
          assert.ok(value, `${deployment.metadata.name}/${container.name} has no ${name}`);
        }
      }
    }
  });

  test('when a pod runs, then it runs as a numeric non-root user on a read-only filesystem', () => {
    for (const deployment of deployments) {
      const pod = podOf(deployment).spec;
      assert.equal(pod.securityContext?.runAsNonRoot, true, deployment.metadata.name);
      // The image says USER node, a name the kubelet cannot check against runAsNonRoot.
      assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${deployment.metadata.name} runAsUser`);
      for (const container of pod.containers) {
        assert.equal(container.securityContext?.readOnlyRootFilesystem, true, container.name);
        assert.equal(container.securityContext?.allowPrivilegeEscalation, false, container.name);
      }
    }
  });

  test('when a Deployment exists, then a Service selects its pods and targets its port', () => {
    for (const deployment of deployments) {
      const pod = podOf(deployment);
      const service = ofKind('Service').find((candidate) =>
        matches((candidate.spec?.selector ?? {}) as Record<string, string>, pod.metadata.labels),
      );
      assert.ok(service, `no Service selects the pods of ${deployment.metadata.name}`);
      const containerPorts = pod.spec.containers.flatMap((container) => container.ports ?? []);
      for (const port of service.spec?.ports ?? []) {
        const target = port.targetPort ?? port.port;
        assert.ok(
          containerPorts.some((p) => p.name === target || p.containerPort === target),
          `Service ${service.metadata.name} targets ${String(target)}, not a container port of ${deployment.metadata.name}`,
        );
      }
    }
  });

  test('when a service starts, then its ConfigMap and Secret give it every variable it requires', () => {
    const configMaps = new Map(
      ofKind('ConfigMap').map((map) => [map.metadata.name, map.data ?? {}]),
    );
    for (const service of serviceNames) {
      const container = podOf(deploymentOf(service)).spec.containers[0]!;
      const env: Record<string, string> = {};
      const secretKeys = new Set<string>();
      for (const source of container.envFrom ?? []) {
        const name = source.configMapRef?.name ?? '';
        assert.ok(
          configMaps.has(name),
          `${service} reads ConfigMap ${name}, which is not rendered`,
        );
        Object.assign(env, configMaps.get(name));
      }
      for (const variable of container.env ?? []) {
        const secretRef = variable.valueFrom?.secretKeyRef;
        if (secretRef) {
          assert.equal(secretRef.name, exampleSecret.metadata.name, `${service} ${variable.name}`);
          const value = exampleSecret.stringData?.[secretRef.key];
          assert.ok(value, `${service} reads ${secretRef.key}, missing from secret.example.yaml`);
          env[variable.name] = value;
          secretKeys.add(variable.name);
        } else {
          env[variable.name] = variable.value ?? 'from-the-downward-api';
        }
      }
      const missing = requiredInDeployment(service).filter((key) => !(key in env));
      assert.deepEqual(missing, [], `${service} lacks ${missing.join(', ')}`);
      // The template's placeholders (replace-with-..., replace-me) are refused wherever the
      // service reads one, and only they: with real values in their place the service starts.
      const placeholder = /replace-(with-[\w-]*|me)/g;
      const refused = configProblems(service, env).map((problem) => problem.split(':')[0]);
      const withPlaceholder = [...secretKeys].filter((key) => env[key]!.match(placeholder));
      assert.ok(withPlaceholder.length > 0, `${service} reads no secret of the template`);
      assert.deepEqual(refused.sort(), withPlaceholder.sort(), `${service} refuses exactly these`);
      const filledIn = Object.fromEntries(
        Object.entries(env).map(([key, value]) => [
          key,
          secretKeys.has(key) ? value.replaceAll(placeholder, randomHex) : value,
        ]),
      );
      assert.deepEqual(configProblems(service, filledIn), [], `${service} would refuse to start`);
    }
    const template = Object.values(exampleSecret.stringData ?? {}).join(' ');
    assert.doesNotMatch(template, /change-me/, 'the template uses replace-... placeholders');
  });

  test('when the Deployments are rendered, then what they share comes from one component', () => {
    const base = parse(readText('deploy/k8s/base/kustomization.yaml')) as { components?: string[] };
    assert.deepEqual(base.components, ['../components/shop-service']);
    for (const service of serviceNames) {
      const text = readText(`deploy/k8s/base/${service}.yaml`);
      for (const shared of ['livenessProbe', 'securityContext', 'REGISTRY_TOKEN', 'NODE_ENV']) {
        assert.ok(!text.includes(shared), `${service}.yaml repeats ${shared}`);
      }
      const container = podOf(deploymentOf(service)).spec.containers[0]!;
      assert.ok(
        container.envFrom?.some((source) => source.configMapRef?.name === 'shop-common'),
        `${service} does not read shop-common`,
      );
      assert.ok(
        container.env?.some((variable) => variable.name === 'REGISTRY_TOKEN'),
        service,
      );
    }
  });

  test('when tracing is wanted, then one setting points every service at an OTLP endpoint', () => {
    const common = ofKind('ConfigMap').find((map) => map.metadata.name === 'shop-common');
    assert.ok(common?.data && 'OTEL_EXPORTER_OTLP_ENDPOINT' in common.data);
    assert.equal(common.data.OTEL_EXPORTER_OTLP_ENDPOINT, '', 'off until a collector is named');
  });

  test('when Prometheus scrapes the gateway, then on port 9400, which its Service does not expose', () => {
    const deployment = deploymentOf('api-gateway');
    const pod = podOf(deployment);
    const config = ofKind('ConfigMap').find((map) => map.metadata.name === 'api-gateway-config');
    assert.equal(config?.data?.METRICS_PORT, '9400');
    assert.equal(pod.metadata.annotations?.['prometheus.io/port'], '9400');
    const ports = pod.spec.containers[0]!.ports ?? [];
    assert.ok(ports.some((port) => port.containerPort === 9400));
    const service = ofKind('Service').find(
      (candidate) => candidate.metadata.name === 'api-gateway',
    );
    assert.ok(!(service?.spec?.ports ?? []).some((port) => port.targetPort === 'metrics'));
    assert.ok(!(service?.spec?.ports ?? []).some((port) => port.port === 9400));
  });

  test('when images are named, then compose and Kubernetes use shop/<service>:<root version>', () => {
    const { version } = JSON.parse(readText('package.json')) as { version: string };
    for (const service of serviceNames) {
      const image = podOf(deploymentOf(service)).spec.containers[0]!.image;
      assert.equal(image, `shop/${service}:${version}`, service);
    }
  });

  test('when the stateless services get busy, then an autoscaler and a disruption budget cover them', () => {
    for (const service of serviceNames.filter((name) => name !== 'service-registry')) {
      const pod = podOf(deploymentOf(service));
      const autoscaler = ofKind('HorizontalPodAutoscaler').find(
        (hpa) =>
          hpa.spec?.scaleTargetRef?.kind === 'Deployment' &&
          hpa.spec.scaleTargetRef.name === service,
      );
      assert.ok(autoscaler, `no HorizontalPodAutoscaler for ${service}`);
      assert.ok((autoscaler.spec?.minReplicas ?? 1) >= 2, `${service} scales below two replicas`);
      const budget = ofKind('PodDisruptionBudget').find((pdb) =>
        matches(
          (pdb.spec?.selector as { matchLabels?: Record<string, string> }).matchLabels ?? {},
          pod.metadata.labels,
        ),
      );
      assert.ok(budget, `no PodDisruptionBudget selects ${service}`);
    }
  });

  test('when rendered, then no Secret is part of it: real values never enter the repository', () => {
    assert.deepEqual(ofKind('Secret'), []);
    assert.equal(exampleSecret.kind, 'Secret');
    assert.equal(
      exampleSecret.metadata.namespace,
      resources.find((r) => r.kind === 'Namespace')?.metadata.name,
    );
  });
});

describe('deploy/k8s/overlays/production (kubectl kustomize)', () => {
  test('when rendered, then it keeps every Deployment and points images at a registry', () => {
    const resources = kustomize('deploy/k8s/overlays/production');
    const images = resources
      .filter((resource) => resource.kind === 'Deployment')
      .flatMap((resource) => resource.spec!.template!.spec.containers.map((c) => c.image));
    assert.equal(images.length, serviceNames.length);
    for (const image of images) assert.match(image, /^registry\.example\.com\/shop\/[a-z-]+:\d/);
  });

  test('when an Ingress fronts the gateway, then the gateway believes that one proxy hop', () => {
    const resources = kustomize('deploy/k8s/overlays/production');
    assert.ok(resources.some((resource) => resource.kind === 'Ingress'));
    const gatewayConfig = resources.find(
      (resource) =>
        resource.kind === 'ConfigMap' && resource.metadata.name === 'api-gateway-config',
    );
    // With TRUST_PROXY=0 every client would be the Ingress controller: one rate limit for all.
    assert.ok(Number(gatewayConfig?.data?.TRUST_PROXY) >= 1, 'TRUST_PROXY counts the Ingress');
  });
});

describe('deploy/k8s/jobs/dead-letters.yaml (a one-off Job)', () => {
  interface Job {
    apiVersion: string;
    kind: string;
    metadata: { generateName?: string; name?: string; namespace?: string };
    spec: {
      template: {
        spec: {
          restartPolicy: string;
          securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
          containers: (Container & { command?: string[]; args?: string[] })[];
        };
      };
    };
  }
  const file = 'deploy/k8s/jobs/dead-letters.yaml';
  const job = parse(readText(file)) as Job;
  const container = job.spec.template.spec.containers[0]!;
  const orderService = kustomize('deploy/k8s/base').find(
    (resource) => resource.kind === 'Deployment' && resource.metadata.name === 'order-service',
  )!.spec!.template!.spec.containers[0]!;

  test('when created, then it is a new Job each time in the shop namespace that runs once', () => {
    assert.equal(job.apiVersion, 'batch/v1');
    assert.equal(job.kind, 'Job');
    assert.equal(job.metadata.name, undefined, 'a fixed name would collide with the last run');
    assert.ok(job.metadata.generateName, 'kubectl create names each run');
    assert.equal(job.metadata.namespace, 'shop');
    assert.equal(job.spec.template.spec.restartPolicy, 'Never');
  });

  test("when it runs, then it is order-service's image running the compiled dead-letters command on the shop's broker", () => {
    assert.equal(container.image, orderService.image);
    const orderPackage = JSON.parse(readText('order-service/package.json')) as {
      dependencies: Record<string, string>;
    };
    assert.ok('@shop/messaging' in orderPackage.dependencies, 'the image holds @shop/messaging');
    // The image keeps the workspace under /app, each kept package with its compiled dist.
    const messaging = JSON.parse(readText('packages/messaging/package.json')) as {
      exports: Record<string, { default: string }>;
    };
    const cli = messaging.exports['./dead-letters-cli']!.default.replace(/^\.\//, '');
    assert.deepEqual(container.command, ['node', `/app/packages/messaging/${cli}`]);
    assert.notEqual(parseDeadLettersArgs(container.args ?? []).kind, 'usage');
    // The README's re-drive recipe swaps this one line.
    assert.equal(readText(file).match(/^\s+args: \[list\]$/gm)?.length, 1);
    const rabbit = (entries: Container['env']) =>
      entries?.find((entry) => entry.name === 'RABBITMQ_URL')?.valueFrom?.secretKeyRef;
    assert.deepEqual(rabbit(container.env), rabbit(orderService.env));
    assert.ok(rabbit(container.env), 'RABBITMQ_URL from shop-secrets');
  });

  test('when it runs, then as the services do: non-root, read-only, no escalation, with limits', () => {
    const pod = job.spec.template.spec;
    assert.equal(pod.securityContext?.runAsNonRoot, true);
    assert.ok((pod.securityContext?.runAsUser ?? 0) > 0);
    assert.equal(container.securityContext?.readOnlyRootFilesystem, true);
    assert.equal(container.securityContext?.allowPrivilegeEscalation, false);
    assert.ok(container.resources?.limits?.memory && container.resources.requests?.cpu);
  });
});
