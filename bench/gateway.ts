import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@shop/testkit';
import { hasCommand, startNginx, startNodeReference, wrk, type LoadFigures } from './load';
import {
  cpuSecondsOf,
  machineCpuSeconds,
  ms,
  printTable,
  root,
  servicesBuilt,
  startBenchSystem,
  type Benchmark,
} from './support';

const CONNECTIONS = [1, 32] as const;
// Short rounds taken in turn, path after path, and the median round kept: on a shared machine
// whose load swings from second to second, that compares the paths under the same conditions.
const ROUNDS = 3;
const SECONDS = 2;
const WARM_UP_SECONDS = 1;

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};

interface Path {
  name: string;
  url: string;
  headers?: Record<string, string>;
  /** The process in front of the service (nginx's worker, relay, bare proxy, gateway), if any. */
  proxyPid?: number | undefined;
  /** The service that answers. */
  servicePid: number | undefined;
}

interface Row extends LoadFigures {
  path: string;
  connections: number;
  /** CPU milliseconds the proxy in front spent per request, over every round. */
  proxyCpuMsPerRequest: number | undefined;
  /**
   * The same for the service: a Node service costs more per request the fewer requests each wake
   * of its event loop finds, so a slower hop in front also makes the service dearer.
   */
  serviceCpuMsPerRequest: number | undefined;
  /**
   * The whole machine's busy CPU per request (wrk, proxy, service, Redis, kernel): with two
   * cores, no path can go faster than 2000 ms a second divided by this.
   */
  machineCpuMsPerRequest: number;
  /** The share of both cores busy during the rounds: under 100 % the path waited, not worked. */
  machineBusy: number;
}

/** CPU milliseconds of `pid` so far; 0 for a path without that process. */
const cpuOf = (pid: number | undefined): number => (cpuSecondsOf(pid) ?? 0) * 1000;

const microseconds = (milliseconds: number | undefined): string =>
  milliseconds === undefined ? '-' : `${(milliseconds * 1000).toFixed(0)} us`;

const ratio = (value: number | undefined, base: number | undefined): string =>
  value === undefined || base === undefined ? '-' : `${((value / base) * 100).toFixed(0)} %`;

// Each: the ratio's label, the path measured and the path it is measured against.
const RATIOS = [
  ['product: gateway / nginx', 'product, gateway', 'product, nginx'],
  ['product: gateway / bare Node proxy', 'product, gateway', 'product, bare Node proxy'],
  ['product: bare Node proxy / nginx', 'product, bare Node proxy', 'product, nginx'],
  ['product: Node TCP relay / nginx', 'product, Node TCP relay', 'product, nginx'],
  ['product: gateway / direct', 'product, gateway', 'product, direct'],
  ['stock with token: gateway / direct', 'stock with token, gateway', 'stock with token, direct'],
] as const;

export const gateway: Benchmark = {
  name: 'gateway',
  measures:
    'GET one product and one stock row at 1 and 32 connections: straight to the service, through nginx, through a Node TCP relay and a bare Node proxy, through the gateway',
  async run() {
    if (!hasCommand('wrk')) {
      console.log(
        '  wrk is not installed (apt-get install -y wrk): the gateway benchmark needs it',
      );
      process.exitCode = 1;
      return;
    }
    const built = servicesBuilt();
    const bench = await startBenchSystem({ env: { SEED_DEMO_CATALOG: 'true' }, built });
    const { urls } = bench.system;
    const listing = await fetch(`${urls['api-gateway']}/api/products?limit=1`);
    const productId = ((await listing.json()) as { items: { id: string }[] }).items[0]?.id;
    if (!productId) throw new Error(`no demo product to read (${listing.status})`);
    const token = await bench.adminToken();
    const auth = { Authorization: `Bearer ${token}` };
    await waitFor(
      async () =>
        (await fetch(`${urls['inventory-service']}/inventory/${productId}`, { headers: auth })).ok,
      { what: 'the stock row of the demo product', timeoutMs: 20_000 },
    );

    const productPid = bench.system.pid('product-service');
    const inventoryPid = bench.system.pid('inventory-service');
    const gatewayPid = bench.system.pid('api-gateway');
    const paths: Path[] = [
      {
        name: 'product, direct',
        url: `${urls['product-service']}/products/${productId}`,
        servicePid: productPid,
      },
    ];
    let nginxWorkers: number | undefined;
    if (hasCommand('nginx')) {
      const nginx = await startNginx(urls['product-service']);
      nginxWorkers = nginx.workers;
      paths.push({
        name: 'product, nginx',
        url: `${nginx.url}/products/${productId}`,
        proxyPid: nginx.workerPid,
        servicePid: productPid,
      });
    } else {
      console.log('  nginx is not installed (apt-get install -y nginx): its rows are left out');
    }
    const relay = await startNodeReference('tcp-relay.ts', urls['product-service']);
    const nodeProxy = await startNodeReference('node-proxy.ts', urls['product-service']);
    paths.push(
      {
        name: 'product, Node TCP relay',
        url: `${relay.url}/products/${productId}`,
        proxyPid: relay.pid,
        servicePid: productPid,
      },
      {
        name: 'product, bare Node proxy',
        url: `${nodeProxy.url}/products/${productId}`,
        proxyPid: nodeProxy.pid,
        servicePid: productPid,
      },
    );
    paths.push(
      {
        name: 'product, gateway',
        url: `${urls['api-gateway']}/api/products/${productId}`,
        proxyPid: gatewayPid,
        servicePid: productPid,
      },
      {
        name: 'stock with token, direct',
        url: `${urls['inventory-service']}/inventory/${productId}`,
        headers: auth,
        servicePid: inventoryPid,
      },
      {
        name: 'stock with token, gateway',
        url: `${urls['api-gateway']}/api/inventory/${productId}`,
        headers: auth,
        proxyPid: gatewayPid,
        servicePid: inventoryPid,
      },
    );

    for (const target of paths) await wrk({ ...target, connections: 32, seconds: WARM_UP_SECONDS });
    const loadBefore = os.loadavg();
    const rows: Row[] = [];
    for (const connections of CONNECTIONS) {
      const rounds = new Map<string, LoadFigures[]>(paths.map((target) => [target.name, []]));
      const cpu = new Map(
        paths.map((target) => [target.name, { proxy: 0, service: 0, machine: 0, wallMs: 0 }]),
      );
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const target of paths) {
          const proxyBefore = cpuOf(target.proxyPid);
          const serviceBefore = cpuOf(target.servicePid);
          const machineBefore = machineCpuSeconds();
          const began = performance.now();
          rounds.get(target.name)!.push(await wrk({ ...target, connections, seconds: SECONDS }));
          const spent = cpu.get(target.name)!;
          spent.wallMs += performance.now() - began;
          spent.machine += (machineCpuSeconds() - machineBefore) * 1000;
          spent.proxy += cpuOf(target.proxyPid) - proxyBefore;
          spent.service += cpuOf(target.servicePid) - serviceBefore;
        }
      }
      for (const [name, figures] of rounds) {
        const requests = figures.reduce((sum, figure) => sum + figure.requests, 0);
        const target = paths.find((each) => each.name === name)!;
        const spent = cpu.get(name)!;
        const row: Row = {
          path: name,
          connections,
          requestsPerSecond: median(figures.map((figure) => figure.requestsPerSecond)),
          p50: median(figures.map((figure) => figure.p50)),
          p99: median(figures.map((figure) => figure.p99)),
          requests,
          failures: figures.reduce((sum, figure) => sum + figure.failures, 0),
          proxyCpuMsPerRequest: target.proxyPid === undefined ? undefined : spent.proxy / requests,
          serviceCpuMsPerRequest:
            target.servicePid === undefined ? undefined : spent.service / requests,
          machineCpuMsPerRequest: spent.machine / requests,
          machineBusy: spent.machine / (spent.wallMs * os.availableParallelism()),
        };
        console.log(`  ${name} at ${connections}: ${row.requestsPerSecond.toFixed(0)}/s`);
        rows.push(row);
      }
    }
    const loadAfter = os.loadavg();

    const find = (name: string, connections: number) =>
      rows.find((row) => row.path === name && row.connections === connections);
    printTable(
      `gateway: wrk, 1 thread, median of ${ROUNDS} rounds of ${SECONDS} s; load average ${loadBefore[0]!.toFixed(
        1,
      )} before, ${loadAfter[0]!.toFixed(1)} after; nginx ${
        nginxWorkers === undefined ? 'missing' : `${nginxWorkers} worker`
      }, gateway 1 process; node ${process.version}, ${built ? 'built services' : 'tsx sources'}`,
      [
        'path',
        'conns',
        'req/s',
        'p50',
        'p99',
        'proxy CPU/req',
        'service CPU/req',
        'machine CPU/req',
        'busy',
        'failures',
      ],
      rows.map((row) => [
        row.path,
        String(row.connections),
        row.requestsPerSecond.toFixed(0),
        ms(row.p50),
        ms(row.p99),
        microseconds(row.proxyCpuMsPerRequest),
        microseconds(row.serviceCpuMsPerRequest),
        microseconds(row.machineCpuMsPerRequest),
        `${(row.machineBusy * 100).toFixed(0)} %`,
        String(row.failures),
      ]),
    );
    const comparisons = CONNECTIONS.flatMap((connections) =>
      RATIOS.map(([label, measured, reference]) => {
        const row = find(measured, connections);
        const base = find(reference, connections);
        return [
          label,
          String(connections),
          ratio(row?.requestsPerSecond, base?.requestsPerSecond),
          row && base ? ms(row.p50 - base.p50) : '-',
        ];
      }),
    );
    printTable('', ['ratio', 'conns', 'throughput', 'p50 added'], comparisons);

    const directory = process.env.BENCH_RESULTS_DIR ?? path.join(root, 'bench', 'results');
    mkdirSync(directory, { recursive: true });
    const file = path.join(directory, 'gateway.json');
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          at: new Date().toISOString(),
          cpus: os.availableParallelism(),
          loadAverage: { before: loadBefore, after: loadAfter },
          rounds: ROUNDS,
          node: process.version,
          nginxWorkers: nginxWorkers ?? null,
          secondsPerRow: SECONDS,
          rows,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`\n  figures written to ${path.relative(process.cwd(), file)}`);
    if (rows.some((row) => row.failures > 0)) process.exitCode = 1;
  },
};
