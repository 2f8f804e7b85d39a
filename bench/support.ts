import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { databaseUrl } from '@shop/postgres';
import { clientFor, testServers, uniqueName, waitFor } from '@shop/testkit';
import { isolatedSystem } from '../scripts/system/isolation';
import { startSystem, type RunningSystem } from '../scripts/system/launcher';
import { SERVICES, type ServiceName } from '../scripts/system/services';

export const root = path.resolve(__dirname, '..');

/** A benchmark the runner can start by name. */
export interface Benchmark {
  name: string;
  measures: string;
  run(): Promise<void>;
}

// Undone in reverse order at the end of a benchmark, also when it fails or the user presses ^C,
// so the shared servers keep no database, queue or key of ours.
const cleanups: { what: string; run: () => Promise<void> }[] = [];

export function onCleanup(what: string, run: () => Promise<void>): void {
  cleanups.push({ what, run });
}

export async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    const step = cleanups.pop()!;
    try {
      await step.run();
    } catch (error) {
      console.error(`  cleanup: could not ${step.what}: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Figures

export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of a sample (milliseconds in, milliseconds out). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
  return {
    count: sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted.at(-1) ?? NaN,
  };
}

export const ms = (value: number): string =>
  Number.isNaN(value) ? '-' : value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`;

export const seconds = (milliseconds: number): string => `${(milliseconds / 1000).toFixed(2)} s`;

export const perSecond = (count: number, milliseconds: number): string =>
  `${(count / (milliseconds / 1000)).toFixed(1)}/s`;

/** A latency row for `printTable`: what, count, p50, p95, p99, max. */
export function latencyRow(what: string, samples: readonly number[]): string[] {
  const p = percentiles(samples);
  return [what, String(p.count), ms(p.p50), ms(p.p95), ms(p.p99), ms(p.max)];
}

export const LATENCY_HEADER = ['latency', 'n', 'p50', 'p95', 'p99', 'max'];

export function printTable(title: string, header: string[], rows: string[][]): void {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `  ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ')}`.trimEnd();
  console.log(title === '' ? '' : `\n${title}`);
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
}

/** Prints "<verb> 120/200 <noun>" at most every two seconds, and once at the end. */
export function progress(verb: string, noun: string, total: number) {
  let lastPrinted = 0;
  return (done: number) => {
    const now = Date.now();
    if (done < total && now - lastPrinted < 2000) return;
    lastPrinted = now;
    console.log(`  ${verb} ${done}/${total} ${noun}`);
  };
}

// Linux's USER_HZ: /proc/<pid>/stat counts CPU time in these ticks on every common kernel.
const TICKS_PER_SECOND = 100;

function cpuSecondsFromStat(pid: number | string): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user and system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number | undefined): number | undefined {
  return pid === undefined ? undefined : cpuSecondsFromStat(pid);
}

/**
 * CPU seconds the whole machine has spent busy so far, over every core (user, nice, system, irq
 * and softirq of /proc/stat's first line; idle, iowait and steal are not the machine's work). Per
 * request, it is everything a request cost: load generator, proxy, service, Redis and kernel.
 */
export function machineCpuSeconds(): number {
  const total = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
  const [user, nice, system, , , irq, softirq] = total.split(/\s+/).slice(1).map(Number);
  return (
    ((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0)) / TICKS_PER_SECOND
  );
}

/**
 * CPU seconds used so far by every process whose command line passes `matches`: the Postgres
 * backends serving some databases, say, whose command lines name them.
 */
export function cpuSecondsWhere(matches: (commandLine: string) => boolean): number {
  let total = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    if (matches(commandLine)) total += cpuSecondsFromStat(entry) ?? 0;
  }
  return total;
}

/** Resident memory of a process in MiB, from /proc (Linux); undefined if it cannot be read. */
export function residentMemoryMiB(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kilobytes = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kilobytes === undefined ? undefined : Number(kilobytes) / 1024;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Load

export interface PoolRun {
  completed: number;
  elapsedMs: number;
}

/**
 * Runs `task(0..total-1)` with at most `concurrency` in flight, the way autocannon keeps a fixed
 * number of connections busy; stops starting new tasks after `deadlineMs`. A task that throws
 * stops the run: a benchmark over failing requests measures nothing.
 */
export async function runPool(options: {
  total: number;
  concurrency: number;
  deadlineMs: number;
  task: (index: number, worker: number) => Promise<void>;
  onProgress?: (done: number) => void;
}): Promise<PoolRun> {
  const began = performance.now();
  let next = 0;
  let completed = 0;
  const worker = async (id: number) => {
    while (next < options.total && performance.now() - began < options.deadlineMs) {
      const index = next++;
      await options.task(index, id);
      completed += 1;
      options.onProgress?.(completed);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  return { completed, elapsedMs: performance.now() - began };
}

// ---------------------------------------------------------------------------------------------
// The whole system as local processes

// info, not warn: the launcher knows a service is up from its "listening on" line (info), and a
// routine request's access line is debug, so info costs nothing per request.
export const benchLogLevel = process.env.BENCH_LOG_LEVEL ?? 'info';

export interface BenchSystem {
  system: RunningSystem;
  api: ReturnType<typeof clientFor>;
  namespace: string;
  databases: { users: string; orders: string; inventory: string };
  /** Per service: seconds from its spawn to /ready 200, and since the start of the whole system. */
  ready: Map<ServiceName, { ownSeconds: number; sinceStartSeconds: number }>;
  totalSeconds: number;
  adminToken(): Promise<string>;
  databaseUrl(name: string): string;
}

const admin = { email: 'bench-admin@shop.test', password: 'bench-admin-password-1' };
export const jwtSecret = 'bench-secret-that-is-long-enough-for-hs256-abcdef';

const benchDatabaseUrl = (name: string) => databaseUrl(testServers.postgresUrl, name);

function newestSourceMs(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts')) {
      newest = Math.max(newest, statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

/**
 * Whether every service's build (`npm run build`) is there and newer than every source it is
 * made from: then a benchmark runs `node dist/main.js`, as the images do. Otherwise it says why
 * and the tsx-run sources are measured, whose memory and start include the compiler.
 */
export function servicesBuilt(): boolean {
  const entries = SERVICES.map(({ name }) => path.join(root, name, 'dist/main.js'));
  if (!entries.every((entry) => existsSync(entry))) {
    console.log('  built services not found (run `npm run build` first): measuring the sources');
    return false;
  }
  // tsc -b writes only the files that changed, but stamps each project's .tsbuildinfo.
  const stale = [
    ...readdirSync(path.join(root, 'packages')).map((name) => path.join('packages', name)),
    ...SERVICES.map(({ name }) => name),
  ].filter((folder) => {
    const source = path.join(root, folder, 'src');
    if (!existsSync(source)) return false;
    const stamp = path.join(root, folder, 'dist', '.tsbuildinfo');
    return !existsSync(stamp) || newestSourceMs(source) > statSync(stamp).mtimeMs;
  });
  if (stale.length > 0) {
    console.log(
      `  the build of ${stale.join(', ')} is older than its sources (run \`npm run build\`): measuring the sources`,
    );
    return false;
  }
  return true;
}

const profiled = new Set(
  (process.env.BENCH_PROFILE ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean),
);

/**
 * `BENCH_PROFILE=api-gateway,order-service` runs those services with `--cpu-prof`: each writes
 * a .cpuprofile (for Chrome DevTools or speedscope) to bench/results/profiles when it stops.
 */
function profileOptions(instance: { service: string }): string[] {
  if (!profiled.has(instance.service)) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench', 'results', 'profiles')}`];
}

/**
 * Starts every service as its own process on free ports, with its own databases, RabbitMQ
 * namespace and Redis key prefixes, and registers the cleanup that removes all of them.
 */
export async function startBenchSystem(
  options: { env?: Record<string, string>; built?: boolean; replicas?: number } = {},
): Promise<BenchSystem> {
  const isolation = isolatedSystem(uniqueName('bench').toLowerCase());
  const { namespace, databases } = isolation;
  // The last lines of each service, shown only if the start fails.
  const recent: string[] = [];
  const ready: BenchSystem['ready'] = new Map();

  onCleanup('drop the databases, Redis keys and RabbitMQ queues and exchanges', () =>
    isolation.remove(),
  );

  const began = performance.now();
  let system: RunningSystem;
  try {
    system = await startSystem({
      root,
      ports: Object.fromEntries(SERVICES.map(({ name }) => [name, 0])),
      postgresUrl: testServers.postgresUrl,
      databases,
      redisUrl: testServers.redisUrl,
      rabbitmqUrl: testServers.rabbitmqUrl,
      mongoUrl: process.env.MONGODB_URL,
      built: options.built,
      replicas: options.replicas,
      nodeOptions: profileOptions,
      jwtSecret,
      admin,
      env: {
        LOG_LEVEL: benchLogLevel,
        ...isolation.env,
        RATE_LIMIT_MAX: '1000000',
        AUTH_RATE_LIMIT_MAX: '100000',
        ...options.env,
      },
      output: (source, line) => {
        recent.push(`${source} | ${line}`);
        if (recent.length > 40) recent.shift();
      },
      onReady: (service, _url, ownSeconds) =>
        ready.set(service, {
          ownSeconds,
          sinceStartSeconds: (performance.now() - began) / 1000,
        }),
    });
  } catch (error) {
    console.error(recent.join('\n'));
    throw error;
  }
  const totalSeconds = (performance.now() - began) / 1000;
  onCleanup('stop the services', () => system.stop());

  const api = clientFor(`${system.urls['api-gateway']}/api`);
  return {
    system,
    api,
    namespace,
    databases,
    ready,
    totalSeconds,
    databaseUrl: benchDatabaseUrl,
    async adminToken() {
      const login = await api.post('/users/login', admin);
      if (login.status !== 200) throw new Error(`admin login: ${login.status} ${login.text}`);
      return login.body.accessToken as string;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Shop actions through the gateway

export interface Customer {
  id: string;
  token: string;
}

export async function signUp(api: BenchSystem['api'], name: string): Promise<Customer> {
  const email = `${uniqueName(name)}@shop.test`;
  const password = 'correct-horse-battery-9';
  const registered = await api.post('/users/register', { email, password, name });
  if (registered.status !== 201) throw new Error(`register: ${registered.status}`);
  const login = await api.post('/users/login', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status}`);
  return { id: registered.body.id as string, token: login.body.accessToken as string };
}

/** Creates a product with stock and waits until inventory has its row (PRODUCT_CREATED). */
export async function createStockedProduct(
  api: BenchSystem['api'],
  token: string,
  fields: { name: string; price: number; initialStock: number },
): Promise<string> {
  const created = await api.post(
    '/products',
    {
      name: fields.name,
      description: `${fields.name}, made for the benchmarks`,
      price: fields.price,
      category: 'bench',
      sku: uniqueName('SKU').toUpperCase(),
      initialStock: fields.initialStock,
    },
    { token },
  );
  if (created.status !== 201) throw new Error(`create product: ${created.status} ${created.text}`);
  const id = created.body.id as string;
  await waitFor(async () => (await api.get(`/inventory/${id}`, { token })).status === 200, {
    what: `stock row for ${fields.name}`,
    timeoutMs: 20_000,
  });
  return id;
}
