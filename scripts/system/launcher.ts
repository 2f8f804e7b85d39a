import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { SERVICES, START_WAVES, type ServiceName } from './services';
import { databaseUrl } from '@shop/postgres';

export interface SystemOptions {
  root: string;
  /** Ports to use; 0 picks a free one. Defaults to the ports of docs/architecture.md. */
  ports?: Partial<Record<ServiceName, number>>;
  postgresUrl: string;
  databases: { users: string; orders: string; inventory: string };
  redisUrl: string;
  rabbitmqUrl: string;
  /** A MongoDB to use; when absent, the embedded MongoDB-compatible server is started. */
  mongoUrl?: string;
  mongoDataDir?: string;
  jwtSecret: string;
  admin: { email: string; password: string };
  /** Added to every service's environment (LOG_LEVEL, RATE_LIMIT_MAX, RABBITMQ_NAMESPACE...). */
  env?: Record<string, string>;
  output?: (source: string, line: string) => void;
  onReady?: (service: ServiceName, url: string, seconds: number) => void;
}

export interface RunningSystem {
  urls: Record<ServiceName, string>;
  /** What the registry asks of callers (`Authorization: Bearer ...`). */
  registryToken: string;
  mongoUrl: string;
  startService(name: ServiceName): Promise<void>;
  stopService(name: ServiceName): Promise<void>;
  /** The process id of a running service (or the embedded MongoDB), for benchmarks reading its memory. */
  pid(name: ServiceName | 'mongo-embedded'): number | undefined;
  stop(): Promise<void>;
}

const NODE_ARGS = ['--conditions=development', '--import', 'tsx'];

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function pipeLines(child: ChildProcess, source: string, output: SystemOptions['output']) {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    readline.createInterface({ input: stream }).on('line', (line) => output?.(source, line));
  }
}

function stopProcess(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function waitUntilReady(
  url: string,
  child: ChildProcess,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`exited with code ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`not ready after ${timeoutMs / 1000} s`);
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
 * Starts the whole system as separate local processes, the way `npm start` and the end-to-end
 * suite need it: an embedded MongoDB when none is given, then each service in dependency order,
 * each one waited on until its /ready answers 200.
 */
export async function startSystem(options: SystemOptions): Promise<RunningSystem> {
  const ports = {} as Record<ServiceName, number>;
  for (const { name, port } of SERVICES) {
    const wanted = options.ports?.[name] ?? port;
    ports[name] = wanted === 0 ? await freePort() : wanted;
  }
  const urls = Object.fromEntries(
    SERVICES.map(({ name }) => [name, `http://127.0.0.1:${ports[name]}`]),
  ) as Record<ServiceName, string>;

  let mongo: { url: string; child?: ChildProcess };
  if (options.mongoUrl) {
    mongo = { url: options.mongoUrl };
  } else {
    mongo = await startEmbeddedMongo(options);
  }

  // A fresh registry token per run: the registry and the services it trusts share it, and the
  // authenticated registry path runs every time, as in production.
  const registryToken = randomBytes(24).toString('hex');
  const common = {
    NODE_ENV: 'development',
    REGISTRY_TOKEN: registryToken,
    HOST: '127.0.0.1',
    SERVICE_HOST: '127.0.0.1',
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

  const children = new Map<ServiceName, ChildProcess>();

  async function startService(name: ServiceName): Promise<void> {
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, path.join(options.root, name, 'src/main.ts')],
      {
        cwd: options.root,
        env: { ...process.env, ...common, ...perService[name], PORT: String(ports[name]) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.set(name, child);
    pipeLines(child, name, options.output);
    const began = Date.now();
    try {
      await waitUntilReady(urls[name], child);
      options.onReady?.(name, urls[name], (Date.now() - began) / 1000);
    } catch (error) {
      throw new Error(`${name} ${(error as Error).message}`);
    }
  }

  async function stopService(name: ServiceName): Promise<void> {
    const child = children.get(name);
    if (child) await stopProcess(child);
    children.delete(name);
  }

  async function stop(): Promise<void> {
    // The reverse of the start order: the gateway stops taking traffic first.
    for (const wave of [...START_WAVES].reverse()) {
      await Promise.all(wave.map((name) => stopService(name)));
    }
    if (mongo.child) await stopProcess(mongo.child);
  }

  try {
    for (const wave of START_WAVES) await Promise.all(wave.map((name) => startService(name)));
  } catch (error) {
    await stop();
    throw error;
  }
  const pid = (name: ServiceName | 'mongo-embedded'): number | undefined =>
    name === 'mongo-embedded' ? mongo.child?.pid : children.get(name)?.pid;
  return { urls, registryToken, mongoUrl: mongo.url, startService, stopService, pid, stop };
}
