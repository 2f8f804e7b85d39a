import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { configSchema as apiGatewayConfig } from '../../api-gateway/src/config';
import { configSchema as inventoryServiceConfig } from '../../inventory-service/src/config';
import { configSchema as orderServiceConfig } from '../../order-service/src/config';
import { configSchema as productServiceConfig } from '../../product-service/src/config';
import { configSchema as serviceRegistryConfig } from '../../service-registry/src/config';
import { configSchema as userServiceConfig } from '../../user-service/src/config';

export const root = path.resolve(__dirname, '..', '..');

export const readText = (file: string): string => readFileSync(path.join(root, file), 'utf8');

/** The six services, by folder, with the config schema each one parses at start-up. */
export const serviceConfigs = {
  'api-gateway': apiGatewayConfig,
  'user-service': userServiceConfig,
  'order-service': orderServiceConfig,
  'product-service': productServiceConfig,
  'inventory-service': inventoryServiceConfig,
  'service-registry': serviceRegistryConfig,
} satisfies Record<string, z.ZodObject>;

export type ServiceName = keyof typeof serviceConfigs;
export const serviceNames = Object.keys(serviceConfigs) as ServiceName[];

/**
 * Variables a deployment must set although the schema lets them be absent: without MONGODB_URL
 * product-service starts its embedded test server, without REGISTRY_URL nothing registers,
 * without REGISTRY_TOKEN anyone on the network could register as a service, and the gateway's
 * static upstream URLs are its way through while the registry is down.
 */
const deploymentRequires: Record<ServiceName, string[]> = {
  'api-gateway': [
    'REGISTRY_URL',
    'REGISTRY_TOKEN',
    'USER_SERVICE_URL',
    'ORDER_SERVICE_URL',
    'PRODUCT_SERVICE_URL',
    'INVENTORY_SERVICE_URL',
  ],
  'user-service': ['REGISTRY_URL', 'REGISTRY_TOKEN', 'ADMIN_EMAIL', 'ADMIN_PASSWORD'],
  'order-service': ['REGISTRY_URL', 'REGISTRY_TOKEN'],
  'product-service': ['REGISTRY_URL', 'REGISTRY_TOKEN', 'MONGODB_URL'],
  'inventory-service': ['REGISTRY_URL', 'REGISTRY_TOKEN'],
  'service-registry': ['REGISTRY_TOKEN'],
};

/** A key is required when the schema refuses it absent: no default and not optional. */
export function requiredByConfig(service: ServiceName): string[] {
  const shape = serviceConfigs[service].shape as Record<string, z.ZodType>;
  return Object.entries(shape)
    .filter(([, schema]) => !schema.safeParse(undefined).success)
    .map(([key]) => key);
}

export function requiredInDeployment(service: ServiceName): string[] {
  return [...new Set([...requiredByConfig(service), ...deploymentRequires[service]])].sort();
}

export function configProblems(service: ServiceName, env: Record<string, string>): string[] {
  const result = serviceConfigs[service].safeParse(env);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
}

export interface Workspace {
  name: string;
  dir: string;
  internalDependencies: string[];
}

/** Every npm workspace of the root package.json, with its @shop/* production dependencies. */
export function readWorkspaces(): Map<string, Workspace> {
  const rootManifest = JSON.parse(readText('package.json')) as { workspaces: string[] };
  const manifests = rootManifest.workspaces.map((dir) => ({
    dir,
    manifest: JSON.parse(readText(`${dir}/package.json`)) as {
      name: string;
      dependencies?: Record<string, string>;
    },
  }));
  const names = new Set(manifests.map(({ manifest }) => manifest.name));
  return new Map(
    manifests.map(({ dir, manifest }) => [
      manifest.name,
      {
        name: manifest.name,
        dir,
        internalDependencies: Object.keys(manifest.dependencies ?? {}).filter((dep) =>
          names.has(dep),
        ),
      },
    ]),
  );
}

/** The internal packages a workspace needs at run time, each listed after its own dependencies. */
export function internalDependenciesInBuildOrder(
  workspaces: Map<string, Workspace>,
  name: string,
): Workspace[] {
  const ordered: Workspace[] = [];
  const visit = (current: string, trail: string[]) => {
    for (const dep of workspaces.get(current)?.internalDependencies ?? []) {
      if (trail.includes(dep)) throw new Error(`dependency cycle: ${[...trail, dep].join(' -> ')}`);
      if (ordered.some((workspace) => workspace.name === dep)) continue;
      visit(dep, [...trail, dep]);
      ordered.push(workspaces.get(dep)!);
    }
  };
  visit(name, [name]);
  return ordered;
}

export interface Instruction {
  keyword: string;
  args: string;
  stage: string;
}

/** Dockerfile instructions with continuation lines joined, comments dropped, and their stage. */
export function parseDockerfile(text: string): Instruction[] {
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  let stage = '';
  let unnamed = 0;
  return logical.map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      stage = /\bAS\s+(\S+)$/i.exec(args)?.[1] ?? `#${unnamed++}`;
    }
    return { keyword: keyword.toUpperCase(), args, stage };
  });
}

/** A matcher with .dockerignore's rules: the last pattern matching a path or a parent decides. */
export function dockerignore(text: string): (relativePath: string) => boolean {
  const rules = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const include = line.startsWith('!');
      const pattern = (include ? line.slice(1) : line).replace(/^\/|\/$/g, '');
      const source = pattern
        .split('**')
        .map((part) =>
          part
            .replace(/[.+^${}()|[\]\\]/g, '\\$&')
            .replace(/\*/g, '[^/]*')
            .replace(/\?/g, '[^/]'),
        )
        .join('.*');
      return { include, regex: new RegExp(`^${source.replace(/^\.\*\//, '(.*/)?')}$`) };
    });
  return (relativePath) => {
    const parts = relativePath.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((candidate) => rule.regex.test(candidate))) excluded = !rule.include;
    }
    return excluded;
  };
}

/** Files under a folder of the repository, relative to the root, skipping installs and builds. */
export function filesUnder(dir: string): string[] {
  const absolute = path.join(root, dir);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const relative = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      return ['node_modules', 'dist', '.data'].includes(entry.name) ? [] : filesUnder(relative);
    }
    return [relative];
  });
}

export interface CommandResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The command-line tools the deployment checks run, each with how to install it. README's
 * prerequisites, .ci/run and the GitHub workflow provide every one (workflow.test.ts checks).
 */
export const DEPLOY_TOOLS = {
  'docker-compose':
    'apt-get install -y docker-compose (Debian/Ubuntu) or brew install docker-compose (macOS)',
  kubectl: 'see https://kubernetes.io/docs/tasks/tools/, or brew install kubectl (macOS)',
  promtool:
    'apt-get install -y prometheus (Debian/Ubuntu) or brew install prometheus (macOS), for promtool',
} as const;

export type DeployTool = keyof typeof DEPLOY_TOOLS;

/** The one line a check fails with when its tool is missing. */
export const missingTool = (tool: DeployTool) =>
  new Error(`'${tool}' is not installed; install it with: ${DEPLOY_TOOLS[tool]}`);

/**
 * Runs a tool the deployment checks depend on, with only PATH from this process (a JWT_SECRET
 * in the shell must not hide a gap). A missing tool fails the test with the command that
 * installs it: CI installs it, so a skip would only hide a broken setup.
 */
export function runTool(tool: DeployTool, args: string[]): CommandResult {
  const result = spawnSync(tool, args, {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw missingTool(tool);
  }
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
