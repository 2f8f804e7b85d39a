import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import readline from 'node:readline';
import { databaseUrl } from '@shop/postgres';
import { describePortHolder, isPortFree, leasePort, type PortLease } from './ports';
import {
  planInstances,
  SERVICE_ENV,
  SERVICE_NODE_FLAGS,
  START_WAVES,
  type PlannedInstance,
  type ServiceName,
} from './services';

const HOST = '127.0.0.1';

export interface SystemOptions {
  root: string;
  /** Ports to use; 0 picks a free one. Defaults to the ports of docs/architecture.md, moved by `portOffset`. */
  ports?: Partial<Record<ServiceName, number>>;
  /** Instances of every domain service (user, product, inventory, order); 1 by default. */
  replicas?: number;
  /** Added to every default port (`npm start -- --port-offset N`). */
  portOffset?: number;
  postgresUrl: string;
  databases: { users: string; orders: string; inventory: string };
  redisUrl: string;
  rabbitmqUrl: string;
  /** A MongoDB to use; when absent, the embedded MongoDB-compatible server is started. */
  mongoUrl?: string;
  mongoDataDir?: string;
  jwtSecret: string;
  admin: { email: string; password: string };
  /** The registry's shared secret; a fresh random one per run when absent. */
  registryToken?: string | undefined;
  /** Added to every service's environment (LOG_LEVEL, RATE_LIMIT_MAX, RABBITMQ_NAMESPACE...). */
  env?: Record<string, string>;
  /** Replicas get `env` and then their own entry here (to give one replica a proxied URL, say). */
  instanceEnv?: (instance: PlannedInstance) => Record<string, string>;
  /** How long each instance may take to become ready (60 s by default). */
  readyTimeoutMs?: number;
  output?: (source: string, line: string) => void;
  /** Run each service's built JavaScript (`node <service>/dist/main.js`, after `npm run build`). */
  built?: boolean;
  /** Extra Node options per instance (`--cpu-prof` for the benchmarks' BENCH_PROFILE). */
  nodeOptions?: (instance: PlannedInstance) => string[];
  onReady?: (service: ServiceName, url: string, seconds: number, label: string) => void;
}

export interface RunningInstance {
  service: ServiceName;
  replica: number;
  label: string;
  url: string;
  pid: number | undefined;
}

export interface RunningSystem {
  /** The first instance of each service. */
  urls: Record<ServiceName, string>;
  /** Every instance that is running, of one service or of all. */
  instances(service?: ServiceName): RunningInstance[];
  /** What the registry asks of callers (`Authorization: Bearer ...`). */
  registryToken: string;
  mongoUrl: string;
  /** Starts (again) one replica, on the port it had; waits until its /ready answers 200. */
  startService(name: ServiceName, replica?: number): Promise<void>;
  /** SIGTERM and wait: one replica, or every replica of the service when none is named. */
  stopService(name: ServiceName, replica?: number): Promise<void>;
  /** SIGKILL, as a crashed machine would: no deregistration, no drain. Resolves once it is gone. */
  killService(name: ServiceName, replica?: number): Promise<void>;
  /** The process id of a running instance (or the embedded MongoDB), for benchmarks reading its memory. */
  pid(name: ServiceName | 'mongo-embedded', replica?: number): number | undefined;
  stop(): Promise<void>;
}

/** A port that is taken before anything started: the message is the one line `npm start` prints. */
export class PortTakenError extends Error {}

const NODE_ARGS = ['--conditions=development', '--import', 'tsx'];
const LISTENING = /listening on http:\/\//;

/** Every line the child prints, to `output`; resolves once it prints that it listens. */
function followOutput(
  child: ChildProcess,
  source: string,
  output: SystemOptions['output'],
): Promise<void> {
  return new Promise((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (LISTENING.test(line)) resolve();
        output?.(source, line);
      });
    }
    child.once('exit', (code, signal) =>
      reject(new Error(`exited with ${signal ?? `code ${code}`} before it was ready`)),
    );
  });
}

const hasExited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function stopProcess(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function killProcess(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/**
 * Waits until the child listens and then until `url/ready` answers 200. The child's own
 * "listening on" line comes first: a /ready that answers before it could be someone else's
 * process on that port (another copy of the shop), never this one.
 */
async function waitUntilReady(
  url: string,
  child: ChildProcess,
  listening: Promise<void>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([listening, timeout]);
    while (Date.now() < deadline) {
      if (hasExited(child))
        throw new Error(`exited with code ${child.exitCode} before it was ready`);
      try {
        const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
        if (response.ok) return;
      } catch {
        // A dependency check is still slow; ask again.
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`not ready after ${timeoutMs / 1000} s`);
  } finally {
    clearTimeout(timer);
  }
}

async function startEmbeddedMongo(
  options: SystemOptions,
): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    ...NODE_ARGS,
    path.join(options.root, 'packages/mongo-embedded/src/cli.ts'),
    '--port',
    '0',
  ];
  if (options.mongoDataDir) args.push('--data-dir', options.mongoDataDir);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const match = /mongodb:\/\/[^\s]+/.exec(line);
      if (match) resolve(match[0]);
      else options.output?.('mongo-embedded', line);
    });
    child.stderr!.on('data', (chunk: Buffer) =>
      options.output?.('mongo-embedded', chunk.toString().trimEnd()),
    );
    child.once('exit', (code) => reject(new Error(`embedded MongoDB exited with code ${code}`)));
  });
  return { url: `${url.replace(/\/$/, '')}/products`, child };
}

/**
 * Gives every port-0 instance a leased free port and refuses to start when a fixed port is
 * taken. The leases are held until the system stops, so a restarted replica gets its port back.
 */
async function assignPorts(
  planned: PlannedInstance[],
): Promise<{ instances: PlannedInstance[]; leases: PortLease[] }> {
  const instances: PlannedInstance[] = [];
  const leases: PortLease[] = [];
  try {
    for (const instance of planned) {
      if (instance.port === 0) {
        const lease = await leasePort(HOST);
        leases.push(lease);
        instances.push({ ...instance, port: lease.port });
        continue;
      }
      if (!(await isPortFree(instance.port, HOST))) {
        const holder = await describePortHolder(instance.port, HOST);
        throw new PortTakenError(
          `port ${instance.port} (for ${instance.label}) is taken by ${holder}: stop it, or move ` +
            'this copy with `npm start -- --port-offset 100`',
        );
      }
      instances.push(instance);
    }
  } catch (error) {
    for (const lease of leases) lease.release();
    throw error;
  }
  return { instances, leases };
}

/**
 * Starts the whole system as separate local processes, the way `npm start` and the end-to-end
 * suite need it: an embedded MongoDB when none is given, then each service in dependency order,
 * each instance waited on until its /ready answers 200.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const { instances: planned, leases } = await assignPorts(
    planInstances({
      replicas: options.replicas,
      portOffset: options.portOffset,
      overrides: options.ports,
    }),
  );
  const urlOf = (instance: PlannedInstance) => `http://${HOST}:${instance.port}`;
  const find = (name: ServiceName, replica = 1) => {
    const instance = planned.find((each) => each.service === name && each.replica === replica);
    if (!instance) throw new Error(`${name} has no replica ${replica}`);
    return instance;
  };
  // Service-to-service calls that do not go through discovery use the first replica.
  const urls = Object.fromEntries(
    planned.filter((each) => each.replica === 1).map((each) => [each.service, urlOf(each)]),
  ) as Record<ServiceName, string>;

  let mongo: { url: string; child?: ChildProcess };
  if (options.mongoUrl) {
    mongo = { url: options.mongoUrl };
  } else {
    try {
      mongo = await startEmbeddedMongo(options);
    } catch (error) {
      for (const lease of leases) lease.release();
      throw error;
    }
  }

  // Without one from the caller, a fresh token per run: the authenticated registry path runs
  // every time, as in production.
  const registryToken = options.registryToken ?? randomBytes(24).toString('hex');
  const common = {
    NODE_ENV: 'development',
    REGISTRY_TOKEN: registryToken,
    HOST,
    SERVICE_HOST: HOST,
    LOG_LEVEL: 'info',
    JWT_SECRET: options.jwtSecret,
    REGISTRY_URL: urls['service-registry'],
    RABBITMQ_URL: options.rabbitmqUrl,
    REDIS_URL: options.redisUrl,
    USER_SERVICE_URL: urls['user-service'],
    ORDER_SERVICE_URL: urls['order-service'],
    PRODUCT_SERVICE_URL: urls['product-service'],
    INVENTORY_SERVICE_URL: urls['inventory-service'],
    ...options.env,
  };
  const perService: Record<ServiceName, Record<string, string>> = {
    'service-registry': {},
    'user-service': {
      DATABASE_URL: databaseUrl(options.postgresUrl, options.databases.users),
      ADMIN_EMAIL: options.admin.email,
      ADMIN_PASSWORD: options.admin.password,
    },
    'product-service': { MONGODB_URL: mongo.url },
    'inventory-service': {
      DATABASE_URL: databaseUrl(options.postgresUrl, options.databases.inventory),
    },
    'order-service': { DATABASE_URL: databaseUrl(options.postgresUrl, options.databases.orders) },
    'api-gateway': {},
  };

  const children = new Map<string, ChildProcess>();

  async function startInstance(instance: PlannedInstance): Promise<void> {
    const entry = [
      ...SERVICE_NODE_FLAGS,
      ...(options.nodeOptions?.(instance) ?? []),
      ...(options.built
        ? [path.join(options.root, instance.service, 'dist/main.js')]
        : [...NODE_ARGS, path.join(options.root, instance.service, 'src/main.ts')]),
    ];
    const child = spawn(process.execPath, entry, {
      cwd: options.root,
      env: {
        ...process.env,
        ...SERVICE_ENV,
        ...common,
        ...perService[instance.service],
        ...options.instanceEnv?.(instance),
        PORT: String(instance.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.set(instance.label, child);
    const listening = followOutput(child, instance.label, options.output);
    // A child that exits after it was ready is not an unhandled rejection.
    listening.catch(() => undefined);
    const began = Date.now();
    try {
      await waitUntilReady(urlOf(instance), child, listening, options.readyTimeoutMs);
      options.onReady?.(
        instance.service,
        urlOf(instance),
        (Date.now() - began) / 1000,
        instance.label,
      );
    } catch (error) {
      throw new Error(`${instance.label} ${(error as Error).message}`);
    }
  }

  const replicasOf = (name: ServiceName, replica?: number) =>
    replica === undefined ? planned.filter((each) => each.service === name) : [find(name, replica)];

  async function endInstances(
    name: ServiceName,
    replica: number | undefined,
    end: (child: ChildProcess) => Promise<void>,
  ): Promise<void> {
    await Promise.all(
      replicasOf(name, replica).map(async (instance) => {
        const child = children.get(instance.label);
        if (child) await end(child);
        children.delete(instance.label);
      }),
    );
  }

  async function stop(): Promise<void> {
    // The reverse of the start order: the gateway stops taking traffic first.
    for (const wave of [...START_WAVES].reverse()) {
      await Promise.all(wave.map((name) => endInstances(name, undefined, stopProcess)));
    }
    if (mongo.child) await stopProcess(mongo.child);
    for (const lease of leases) lease.release();
  }

  try {
    for (const wave of START_WAVES) {
      await Promise.all(
        planned.filter((each) => wave.includes(each.service)).map((each) => startInstance(each)),
      );
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    urls,
    instances: (service) =>
      planned
        .filter(
          (each) => (service === undefined || each.service === service) && children.has(each.label),
        )
        .map((each) => ({
          service: each.service,
          replica: each.replica,
          label: each.label,
          url: urlOf(each),
          pid: children.get(each.label)?.pid,
        })),
    registryToken,
    mongoUrl: mongo.url,
    startService: (name, replica = 1) => startInstance(find(name, replica)),
    stopService: (name, replica) => endInstances(name, replica, stopProcess),
    killService: (name, replica = 1) => endInstances(name, replica, killProcess),
    pid: (name, replica = 1) =>
      name === 'mongo-embedded' ? mongo.child?.pid : children.get(find(name, replica).label)?.pid,
    stop,
  };
}
