import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  configProblems,
  missingTool,
  readText,
  requiredInDeployment,
  root,
  runTool,
  serviceNames,
  type ServiceName,
} from './support';

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile?: string; args?: Record<string, string> };
  container_name?: string;
  hostname?: string;
  environment?: Record<string, string | number>;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  restart?: string;
  profiles?: string[];
}

interface ComposeFile {
  services: Record<string, ComposeService>;
}

// Anchors with merge keys (<<: *service) as Compose itself reads them.
const compose = parse(readText('docker-compose.yml'), { merge: true }) as ComposeFile;
const scratch = mkdtempSync(path.join(tmpdir(), 'shop-compose-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function dockerCompose(envFile: string, ...args: string[]) {
  return runTool('docker-compose', ['--env-file', envFile, ...args]);
}

function dockerComposeAsync(envFile: string, ...args: string[]) {
  return new Promise<{ status: number; stderr: string }>((resolve, reject) => {
    execFile(
      'docker-compose',
      ['--env-file', envFile, ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '' }, timeout: 120_000 },
      (error, _stdout, stderr) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') {
          reject(missingTool('docker-compose'));
          return;
        }
        resolve({ status: error ? Number(error.code ?? 1) : 0, stderr });
      },
    );
  });
}

const urlsOf = (service: ComposeService) =>
  Object.entries(service.environment ?? {}).flatMap(([key, value]) => {
    if (!/^[a-z]+:\/\//.test(String(value))) return [];
    const url = new URL(String(value).replace(/\$\{[^}]*\}/g, 'x'));
    return [{ key, host: url.hostname, port: url.port }];
  });

function dependsOn(service: ComposeService): Record<string, { condition?: string }> {
  if (!Array.isArray(service.depends_on)) return service.depends_on ?? {};
  return Object.fromEntries(service.depends_on.map((name) => [name, {}]));
}

const production = ['-f', 'docker-compose.yml', '-f', 'docker-compose.prod.yml'];
const noEnv = path.join(scratch, 'empty.env');
writeFileSync(noEnv, '');

const secrets = [
  'JWT_SECRET',
  'REGISTRY_TOKEN',
  'ADMIN_PASSWORD',
  'POSTGRES_PASSWORD',
  'MONGO_PASSWORD',
  'RABBITMQ_PASSWORD',
  'GRAFANA_ADMIN_PASSWORD',
];

/** .env.example with every secret replaced by a random value, as a careful operator would. */
function withRealSecrets(): string {
  const envFile = path.join(scratch, 'with-secrets.env');
  writeFileSync(
    envFile,
    readText('.env.example')
      .split('\n')
      .map((line) => {
        const key = line.split('=')[0]!;
        // Hex: letters and digits only, as the passwords inside connection URLs must be.
        return secrets.includes(key) ? `${key}=${randomBytes(24).toString('hex')}` : line;
      })
      .join('\n'),
  );
  return envFile;
}

// Each docker-compose run costs a second or more (it is a Python program), so a file set that
// several tests read is resolved once.
const resolved = new Map<string, ReturnType<typeof resolveEnvironments>>();
function resolvedEnvironments(envFile: string, files: string[] = []) {
  const key = [envFile, ...files].join(' ');
  if (!resolved.has(key)) resolved.set(key, resolveEnvironments(envFile, files));
  return resolved.get(key)!;
}

function resolveEnvironments(envFile: string, files: string[]) {
  const result = dockerCompose(envFile, ...files, 'config');
  assert.equal(result.status, 0, result.stderr);
  const resolved = parse(result.stdout) as ComposeFile;
  return serviceNames.map((service) => ({
    service,
    env: Object.fromEntries(
      Object.entries(resolved.services[service]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
    ),
  }));
}

describe('docker-compose.yml (development: no .env needed)', () => {
  test('when started with no .env at all, then compose accepts it and every service its config', () => {
    for (const { service, env } of resolvedEnvironments(noEnv)) {
      assert.deepEqual(configProblems(service, env), [], `${service} would refuse to start`);
    }
  });

  test('when a secret has a development default, then the value says it is for development only', () => {
    for (const { service, env } of resolvedEnvironments(noEnv)) {
      for (const key of ['JWT_SECRET', 'REGISTRY_TOKEN']) {
        if (env[key] !== undefined)
          assert.match(env[key], /^development-only-/, `${service} ${key}`);
      }
    }
    assert.match(readText('docker-compose.yml'), /DEVELOPMENT DEFAULTS/);
  });
});

describe('docker-compose.prod.yml (production override: real secrets required)', () => {
  test('when a secret is missing, then compose refuses to start and names it', async () => {
    const example = readFileSync(withRealSecrets(), 'utf8').split('\n');
    // One compose run per secret (it names only the first one missing), all at once.
    await Promise.all(
      secrets.map(async (secret) => {
        const envFile = path.join(scratch, `without-${secret}.env`);
        writeFileSync(envFile, example.filter((line) => !line.startsWith(`${secret}=`)).join('\n'));
        const result = await dockerComposeAsync(envFile, ...production, 'config', '-q');
        assert.notEqual(result.status, 0, `compose accepted a .env without ${secret}`);
        assert.match(result.stderr, new RegExp(`set ${secret} in \\.env`));
      }),
    );
  });

  test('when the example .env is used as it is, then the services refuse its placeholder secrets and passwords', () => {
    for (const { service, env } of resolvedEnvironments('.env.example', production)) {
      const refused = configProblems(service, env)
        .filter((problem) => /placeholder/.test(problem))
        .map((problem) => problem.split(':')[0]);
      // Every secret and every password of a connection URL the service is given.
      const expected = Object.entries(env)
        .filter(
          ([key, value]) =>
            /^(JWT_SECRET|REGISTRY_TOKEN|ADMIN_PASSWORD)$/.test(key) ||
            /:\/\/[^/]*:changeMe/.test(value),
        )
        .map(([key]) => key);
      assert.ok(expected.length > 0, service);
      assert.deepEqual(
        refused.sort(),
        expected.sort(),
        `${service} must not start with the example values`,
      );
    }
  });

  test('when real secrets are set, then every service accepts them and no development default is left', () => {
    for (const { service, env } of resolvedEnvironments(withRealSecrets(), production)) {
      assert.deepEqual(configProblems(service, env), [], `${service} would refuse to start`);
      for (const [key, value] of Object.entries(env)) {
        assert.doesNotMatch(value, /development/, `${service} ${key} keeps a development default`);
      }
    }
  });
});

describe('docker-compose.yml', () => {
  test('when a service reads a variable its config requires, then compose sets it', () => {
    for (const service of serviceNames) {
      const environment = compose.services[service]?.environment;
      assert.ok(environment, `${service} is not in docker-compose.yml`);
      const missing = requiredInDeployment(service).filter((key) => !(key in environment));
      assert.deepEqual(missing, [], `${service} lacks ${missing.join(', ')}`);
    }
  });

  test('when a service is built, then the root Dockerfile builds it, tagged shop/<service>:<version>', () => {
    const { version } = JSON.parse(readText('package.json')) as { version: string };
    assert.ok(existsSync(path.join(root, 'Dockerfile')));
    for (const service of serviceNames) {
      const { build, image } = compose.services[service]!;
      assert.deepEqual(build, { context: '.', args: { SERVICE: service } }, service);
      assert.equal(image, `shop/${service}:\${SHOP_VERSION:-${version}}`, service);
    }
  });

  test('when scaled (--scale order-service=3 --scale inventory-service=2), then no replica clashes', () => {
    for (const service of serviceNames.filter((name) => name !== 'api-gateway')) {
      const definition = compose.services[service]!;
      assert.equal(definition.container_name, undefined, `${service} has a fixed container name`);
      assert.equal(definition.hostname, undefined, `${service} has a fixed hostname`);
      assert.deepEqual(definition.ports ?? [], [], `${service} publishes a host port`);
      // Each replica must register under its own address, not one shared name.
      assert.equal(definition.environment?.SERVICE_HOST, undefined, `${service} SERVICE_HOST`);
    }
  });

  test('when a service calls another by URL, then the host is a compose service on its port', () => {
    for (const service of serviceNames) {
      for (const { key, host, port } of urlsOf(compose.services[service]!)) {
        const target = compose.services[host];
        assert.ok(target, `${service} ${key} points at ${host}, which compose does not run`);
        const targetPort = target.environment?.PORT;
        if (targetPort !== undefined) {
          assert.equal(port, String(targetPort), `${service} ${key} port`);
        }
      }
    }
  });

  test('when a service needs a server at start, then it waits for that server to be healthy', () => {
    const applications = new Set<string>(serviceNames);
    for (const service of serviceNames) {
      const waitsFor = dependsOn(compose.services[service]!);
      const servers = urlsOf(compose.services[service]!)
        .filter(({ key, host }) => !applications.has(host) || key === 'REGISTRY_URL')
        .map(({ host }) => host);
      for (const server of servers) {
        assert.equal(
          waitsFor[server]?.condition,
          'service_healthy',
          `${service} must depend on ${server} with condition service_healthy`,
        );
      }
    }
  });

  test('when anything starts, then every container has a healthcheck and waits on health', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      assert.ok(
        service.healthcheck?.test && !service.healthcheck.disable,
        `${name} has no healthcheck`,
      );
      assert.equal(service.restart, 'unless-stopped', `${name} restart policy`);
      for (const [dependency, options] of Object.entries(dependsOn(service))) {
        assert.ok(compose.services[dependency], `${name} depends on unknown ${dependency}`);
        assert.equal(
          options.condition,
          'service_healthy',
          `${name} -> ${dependency} needs condition: service_healthy, or it starts too early`,
        );
      }
    }
  });

  test('when published, then only the gateway and the UIs reach the host, each on its own port', () => {
    const allowed: Record<string, string> = {
      'api-gateway': '3000',
      rabbitmq: '15672',
      grafana: '3001',
      prometheus: '9090',
      jaeger: '16686',
    };
    const hostPorts = new Map<string, string>();
    for (const [name, service] of Object.entries(compose.services)) {
      for (const mapping of service.ports ?? []) {
        const parts = String(mapping).split(':');
        assert.ok(parts.length >= 2, `${name} publishes ${mapping} on a random host port`);
        const hostPort = parts.at(-2)!;
        assert.equal(allowed[name], hostPort, `${name} must not publish ${mapping}`);
        const clash = hostPorts.get(hostPort);
        assert.equal(clash, undefined, `host port ${hostPort}: ${clash} and ${name}`);
        hostPorts.set(hostPort, name);
      }
    }
    assert.equal(hostPorts.get('3000'), 'api-gateway');
  });

  test('when the observability profile is off, then Prometheus and Grafana do not start', () => {
    for (const name of ['prometheus', 'grafana', 'jaeger']) {
      assert.deepEqual(compose.services[name]?.profiles, ['observability'], name);
    }
    for (const service of serviceNames satisfies ServiceName[]) {
      assert.equal(compose.services[service]?.profiles, undefined, service);
    }
  });
});
