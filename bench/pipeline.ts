import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { QUEUES } from '@shop/contracts';
import { qualify } from '@shop/messaging';
import { createPool, type Pool } from '@shop/postgres';
import { tokenFor, uniqueName } from '@shop/testkit';
import { measurePostgresCeiling, measureRabbitCeiling } from './ceilings';
import { DOMAIN_SERVICES } from '../scripts/system/services';
import { openQueueWatch } from './queue-watch';
import {
  jwtSecret,
  latencyRow,
  LATENCY_HEADER,
  onCleanup,
  percentiles,
  printTable,
  cpuSecondsOf,
  cpuSecondsWhere,
  residentMemoryMiB,
  servicesBuilt,
  startBenchSystem,
  type Benchmark,
  type BenchSystem,
} from './support';

const RATES = (process.env.BENCH_PIPELINE_RATES ?? '100,200,400,800').split(',').map(Number);
const STEP_SECONDS = Number(process.env.BENCH_PIPELINE_SECONDS ?? 20);
// Instances of each domain service (user, product, inventory, order); the gateway is one.
const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1);
const CUSTOMERS = 64;
const PRODUCTS = 100;
const HOT_PRODUCTS = 5;
// Far more than 80 s at 800 orders/s can take (at most 6 units an order, half of the lines on the
// five hot products), so every order is CONFIRMED and nothing but speed is measured.
const STOCK_PER_PRODUCT = 2_000_000;
// Requests in flight at most: past it the open loop counts arrivals it could not send instead of
// piling up sockets, so an overloaded step reports its overload rather than the client's.
const MAX_OUTSTANDING = 2000;
const SCALES = [1, 4, 16];
const CPUS = availableParallelism();
const SCALE_SECONDS = Number(process.env.BENCH_PIPELINE_SCALE_SECONDS ?? 10);
// Orders offered at the first rate before anything is measured: the first seconds of a fresh
// system (JIT, pools and caches filling) are not its steady state. 0 measures from cold.
const WARMUP_SECONDS = Number(process.env.BENCH_PIPELINE_WARMUP_SECONDS ?? 5);
// The services' pool size (order-service and inventory-service main.ts): the Postgres ceiling is
// measured with as many connections as one service may open.
const SERVICE_POOL_SIZE = 20;

interface StepResult {
  offered: number;
  accepted: number;
  failed: number;
  /** Why, by status and problem detail (or the client's error code). */
  failures: Record<string, number>;
  unsent: number;
  seconds: number;
  /** From the first POST to the last of its orders reaching a final status. */
  endToEndPerSecond: number;
  postMs: number[];
  finalMs: number[];
  deepestQueue: number;
  statuses: Record<string, number>;
  residentMiB: Record<string, number>;
}

const SERVICES_UNDER_LOAD = [
  'api-gateway',
  'order-service',
  'inventory-service',
  'product-service',
  'user-service',
] as const;

/** One order: one to three lines, each on a hot product half of the time. */
function basket(products: readonly string[], n: number) {
  const lines = new Map<string, number>();
  const count = 1 + (n % 3);
  for (let line = 0; line < count; line += 1) {
    const hot = (n + line) % 2 === 0;
    const pick = hot
      ? products[(n * 7 + line) % HOT_PRODUCTS]!
      : products[HOT_PRODUCTS + ((n * 13 + line * 31) % (products.length - HOT_PRODUCTS))]!;
    lines.set(pick, (lines.get(pick) ?? 0) + 1 + (line % 2));
  }
  return { items: [...lines].map(([productId, quantity]) => ({ productId, quantity })) };
}

function customerTokens(count: number): string[] {
  // Signed like user-service signs them: the pipeline never reads the users table, so minting
  // tokens lets the customer count grow without hashing a thousand passwords first.
  return Array.from({ length: count }, () =>
    tokenFor({ userId: randomUUID(), role: 'customer' }, jwtSecret),
  );
}

async function addProducts(bench: BenchSystem, admin: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  const batch = 16;
  for (let start = 0; start < count; start += batch) {
    const created = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, index) => {
        const answer = await bench.api.post(
          '/products',
          {
            name: `Pipeline item ${start + index + 1}`,
            description: 'Made for the pipeline benchmark',
            price: 500 + ((start + index) % 50) * 10,
            category: 'bench',
            sku: uniqueName('PIPE').toUpperCase(),
            initialStock: STOCK_PER_PRODUCT,
          },
          { token: admin },
        );
        if (answer.status !== 201) throw new Error(`create product: ${answer.status}`);
        return answer.body.id as string;
      }),
    );
    ids.push(...created);
  }
  return ids;
}

async function waitForStockRows(inventory: Pool, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { rows } = await inventory.query<{ n: number }>('SELECT count(*)::int AS n FROM stock');
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`inventory did not learn of ${count} products within 60 s`);
}

/** Waits until none of `ids` (every order, when absent) is PENDING, or the time is up. */
async function waitUntilSettled(orders: Pool, ids: readonly string[] | null, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await orders.query<{ n: number; last: Date | null }>(
      `SELECT count(*) FILTER (WHERE status = 'PENDING')::int AS n, max(finalized_at) AS last
         FROM orders WHERE $1::uuid[] IS NULL OR id = ANY($1::uuid[])`,
      [ids],
    );
    if (rows[0]!.n === 0 || Date.now() > deadline) return rows[0]!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Offers `rate` orders a second for `seconds`, whatever the answers take (an open loop: arrivals
 * do not wait for earlier answers, as real customers do not), then waits for every accepted
 * order to reach its final status.
 */
async function offerLoad(
  bench: BenchSystem,
  pools: { orders: Pool },
  load: { rate: number; seconds: number; tokens: string[]; products: string[]; seed: number },
  watch: { deepest(): number; reset(): void },
): Promise<StepResult> {
  const gateway = `${bench.system.urls['api-gateway']}/api/orders`;
  const postMs: number[] = [];
  const orderIds: string[] = [];
  let failed = 0;
  const failures: Record<string, number> = {};
  const fail = (reason: string) => {
    failed += 1;
    failures[reason] = (failures[reason] ?? 0) + 1;
  };
  let unsent = 0;
  let outstanding = 0;
  let sent = 0;
  const residentMiB: Record<string, number> = {};
  const total = Math.round(load.rate * load.seconds);
  const began = performance.now();
  const beganAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  watch.reset();

  const place = async (n: number) => {
    const started = performance.now();
    try {
      const answer = await fetch(gateway, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${load.tokens[n % load.tokens.length]}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(basket(load.products, load.seed + n)),
      });
      const body = (await answer.json()) as { id?: string; title?: string; detail?: string };
      if (answer.status === 201 && body.id) {
        postMs.push(performance.now() - started);
        orderIds.push(body.id);
      } else fail(`${answer.status} ${(body.detail ?? body.title ?? '').slice(0, 100)}`.trim());
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      fail(cause?.code ?? (error as Error).name);
    }
  };

  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - began) / 1000) * load.rate));
    for (; sent < due; sent += 1) {
      if (outstanding >= MAX_OUTSTANDING) {
        unsent += 1;
        continue;
      }
      outstanding += 1;
      const request = place(sent).finally(() => {
        outstanding -= 1;
        inFlight.delete(request);
      });
      inFlight.add(request);
    }
    // The largest instance of each service: each replica must fit its own memory limit.
    for (const name of SERVICES_UNDER_LOAD) {
      for (let replica = 1; replica <= instancesOf(name); replica += 1) {
        const mib = residentMemoryMiB(bench.system.pid(name, replica));
        if (mib !== undefined) residentMiB[name] = Math.max(residentMiB[name] ?? 0, mib);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
  const settled = await waitUntilSettled(pools.orders, orderIds, 60_000);
  const elapsedMs = (settled.last?.getTime() ?? Date.now()) - beganAt;

  const { rows } = await pools.orders.query<{ status: string; ms: number | null }>(
    `SELECT status, extract(epoch FROM finalized_at - created_at)::float8 * 1000 AS ms
       FROM orders WHERE id = ANY($1::uuid[])`,
    [orderIds],
  );
  const statuses: Record<string, number> = {};
  for (const row of rows) statuses[row.status] = (statuses[row.status] ?? 0) + 1;
  return {
    offered: load.rate,
    accepted: orderIds.length,
    failed,
    failures,
    unsent,
    seconds: load.seconds,
    endToEndPerSecond: orderIds.length / (Math.max(elapsedMs, 1) / 1000),
    postMs,
    finalMs: rows.flatMap((row) => (row.ms === null ? [] : [row.ms])),
    deepestQueue: watch.deepest(),
    statuses,
    residentMiB,
  };
}

/**
 * Closed loop: `concurrency` customers each placing their next order as soon as the last is
 * answered, for `seconds`; returns orders accepted per second.
 */
async function closedLoop(
  bench: BenchSystem,
  load: { concurrency: number; seconds: number; tokens: string[]; products: string[] },
): Promise<{ perSecond: number; accepted: number }> {
  const gateway = `${bench.system.urls['api-gateway']}/api/orders`;
  const until = performance.now() + load.seconds * 1000;
  let accepted = 0;
  let n = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: load.concurrency }, async () => {
      while (performance.now() < until) {
        const index = n++;
        const answer = await fetch(gateway, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${load.tokens[(index * 7919) % load.tokens.length]}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(
            basket(load.products, index * 104_729 + Math.floor(Math.random() * 1000)),
          ),
        });
        await answer.arrayBuffer();
        if (answer.status === 201) accepted += 1;
      }
    }),
  );
  return { perSecond: accepted / ((performance.now() - began) / 1000), accepted };
}

/** The domain services run REPLICAS instances; the gateway and the embedded MongoDB one. */
function instancesOf(name: string): number {
  return (DOMAIN_SERVICES as readonly string[]).includes(name) ? REPLICAS : 1;
}

/**
 * CPU seconds used so far by each part of the system: every instance of each service, the
 * embedded MongoDB, the Postgres backends of the benchmark's databases, the whole RabbitMQ
 * broker (shared with anything else on the machine) and this process, the load generator.
 */
function cpuSecondsByPart(bench: BenchSystem): Record<string, number> {
  const parts: Record<string, number> = {};
  for (const name of [...SERVICES_UNDER_LOAD, 'mongo-embedded'] as const) {
    let seconds = 0;
    for (let replica = 1; replica <= instancesOf(name); replica += 1) {
      seconds += cpuSecondsOf(bench.system.pid(name, replica)) ?? 0;
    }
    parts[name] = seconds;
  }
  const databases = Object.values(bench.databases);
  parts['Postgres (these databases)'] = cpuSecondsWhere(
    (line) => line.startsWith('postgres: ') && databases.some((name) => line.includes(` ${name} `)),
  );
  parts['RabbitMQ (whole broker)'] = cpuSecondsWhere((line) => line.includes('beam.smp'));
  const own = process.cpuUsage();
  parts['load generator (this process)'] = (own.user + own.system) / 1e6;
  return parts;
}

/** available + reserved == what was put in, reserved == CONFIRMED quantities, no order PENDING. */
async function checkInvariant(pools: { orders: Pool; inventory: Pool }): Promise<string> {
  const stock = await pools.inventory.query<{
    product_id: string;
    available: number;
    reserved: number;
    put_in: number;
  }>(
    `SELECT s.product_id, s.available, s.reserved,
            (SELECT coalesce(sum(delta_available), 0)::int FROM stock_ledger l
              WHERE l.product_id = s.product_id AND l.reason IN ('initial', 'restock')) AS put_in
       FROM stock s`,
  );
  const confirmed = await pools.orders.query<{ product_id: string; quantity: number }>(
    `SELECT l.product_id, sum(l.quantity)::int AS quantity
       FROM order_lines l JOIN orders o ON o.id = l.order_id
      WHERE o.status = 'CONFIRMED' GROUP BY l.product_id`,
  );
  const pending = await pools.orders.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM orders WHERE status = 'PENDING'",
  );
  const confirmedBy = new Map(confirmed.rows.map((row) => [row.product_id, row.quantity]));
  const broken = stock.rows.filter(
    (row) =>
      row.available + row.reserved !== row.put_in ||
      row.reserved !== (confirmedBy.get(row.product_id) ?? 0),
  );
  if (broken.length > 0 || pending.rows[0]!.n > 0)
    return `BROKEN: ${broken.length} products off, ${pending.rows[0]!.n} orders PENDING`;
  return `holds for all ${stock.rows.length} products, no order PENDING`;
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);

export const pipeline: Benchmark = {
  name: 'pipeline',
  measures: `open-loop order arrivals at ${RATES.join(', ')}/s through the gateway (after ${WARMUP_SECONDS} s of warm-up; ${STEP_SECONDS} s each, ${CUSTOMERS} customers, ${PRODUCTS} products, ${HOT_PRODUCTS} hot), beside the Postgres and RabbitMQ ceilings; cost at 1x/4x/16x catalog and customers; memory of the built services`,
  async run() {
    const built = servicesBuilt();

    console.log('  measuring the ceilings');
    const postgres = await measurePostgresCeiling({ connections: SERVICE_POOL_SIZE, seconds: 5 });
    const rabbit = await measureRabbitCeiling({ seconds: 5 });

    const bench = await startBenchSystem({ built, replicas: REPLICAS });
    console.log(`  system ready in ${bench.totalSeconds.toFixed(1)} s; stocking the shop`);
    const pools = {
      orders: createPool(bench.databaseUrl(bench.databases.orders), { max: 2 }),
      inventory: createPool(bench.databaseUrl(bench.databases.inventory), { max: 2 }),
    };
    onCleanup('close the benchmark pools', async () => {
      await pools.orders.end();
      await pools.inventory.end();
    });
    const watch = await openQueueWatch(
      Object.values(QUEUES).map((queue) => qualify(bench.namespace, queue)),
    );
    onCleanup('close the queue watch', () => watch.close());

    const admin = await bench.adminToken();
    let products = await addProducts(bench, admin, PRODUCTS);
    await waitForStockRows(pools.inventory, products.length);
    let tokens = customerTokens(CUSTOMERS);

    if (WARMUP_SECONDS > 0) {
      process.stdout.write(
        `  warming up: ${RATES[0]} orders/s for ${WARMUP_SECONDS} s, not measured\n`,
      );
      await offerLoad(
        bench,
        pools,
        { rate: RATES[0]!, seconds: WARMUP_SECONDS, tokens, products, seed: 7_777_777 },
        watch,
      );
    }
    const steps: StepResult[] = [];
    for (const [index, rate] of RATES.entries()) {
      process.stdout.write(`  offering ${rate} orders/s for ${STEP_SECONDS} s\n`);
      steps.push(
        await offerLoad(
          bench,
          pools,
          { rate, seconds: STEP_SECONDS, tokens, products, seed: index * 1_000_003 },
          watch,
        ),
      );
    }

    const scale: { factor: number; perSecond: number; cpuPerOrderMs: Record<string, number> }[] =
      [];
    for (const factor of SCALES) {
      const wantProducts = PRODUCTS * factor;
      if (products.length < wantProducts) {
        process.stdout.write(`  growing the catalog to ${wantProducts} products\n`);
        products = [
          ...products,
          ...(await addProducts(bench, admin, wantProducts - products.length)),
        ];
        await waitForStockRows(pools.inventory, products.length);
      }
      tokens = customerTokens(CUSTOMERS * factor);
      process.stdout.write(
        `  ${factor}x: ${products.length} products, ${tokens.length} customers, ${CUSTOMERS} at a time\n`,
      );
      // The same warm-up as the open loop's: a scale is measured in its steady state, with the
      // caches as warm as the 1x row's, not while the new products and customers are first seen.
      if (WARMUP_SECONDS > 0) {
        await closedLoop(bench, {
          concurrency: CUSTOMERS,
          seconds: WARMUP_SECONDS,
          tokens,
          products,
        });
      }
      const cpuBefore = cpuSecondsByPart(bench);
      const { perSecond, accepted } = await closedLoop(bench, {
        concurrency: CUSTOMERS,
        seconds: SCALE_SECONDS,
        tokens,
        products,
      });
      const cpuAfter = cpuSecondsByPart(bench);
      const cpuPerOrderMs = Object.fromEntries(
        Object.entries(cpuAfter).map(([part, seconds]) => [
          part,
          ((seconds - (cpuBefore[part] ?? 0)) * 1000) / Math.max(accepted, 1),
        ]),
      );
      scale.push({ factor, perSecond, cpuPerOrderMs });
    }
    await waitUntilSettled(pools.orders, null, 60_000);
    const invariant = await checkInvariant(pools);

    printTable(
      'ceilings on this machine, measured in the same run',
      ['ceiling', 'per second'],
      [
        [`Postgres: insert + commit, ${SERVICE_POOL_SIZE} connections`, fixed(postgres.perSecond)],
        ['RabbitMQ: publish with confirm + consume, quorum queue', fixed(rabbit.perSecond)],
      ],
    );
    printTable(
      `pipeline: open loop through the gateway, ${CUSTOMERS} customers, ${products.length >= PRODUCTS ? PRODUCTS : products.length} products (${HOT_PRODUCTS} hot), ${REPLICAS} instance${REPLICAS === 1 ? '' : 's'} of each domain service, node ${process.version}, ${built ? 'built' : 'tsx sources'}`,
      [
        'offered/s',
        'accepted',
        'failed',
        'unsent',
        'end to end/s',
        'POST p50',
        'POST p99',
        'to final p50',
        'to final p99',
        'deepest queue',
        'of PG ceiling',
        'of MQ ceiling',
      ],
      steps.map((step) => {
        const post = percentiles(step.postMs);
        const final = percentiles(step.finalMs);
        return [
          String(step.offered),
          String(step.accepted),
          String(step.failed),
          String(step.unsent),
          fixed(step.endToEndPerSecond),
          `${fixed(post.p50)} ms`,
          `${fixed(post.p99)} ms`,
          `${fixed(final.p50)} ms`,
          `${fixed(final.p99)} ms`,
          String(step.deepestQueue),
          // About four transactions and three messages carry each order through the saga.
          `${fixed((step.endToEndPerSecond * 4 * 100) / postgres.perSecond, 1)} %`,
          `${fixed((step.endToEndPerSecond * 3 * 100) / rabbit.perSecond, 1)} %`,
        ];
      }),
    );
    printTable('', LATENCY_HEADER, [
      latencyRow(`POST /api/orders at ${steps.at(-1)!.offered}/s`, steps.at(-1)!.postMs),
      latencyRow(`accepted -> final at ${steps.at(-1)!.offered}/s`, steps.at(-1)!.finalMs),
    ]);
    printTable(
      'statuses',
      ['offered/s', 'statuses', 'failed requests'],
      steps.map((step) => [
        String(step.offered),
        JSON.stringify(step.statuses),
        JSON.stringify(step.failures),
      ]),
    );
    printTable(
      `cost as the shop grows: closed loop, ${CUSTOMERS} customers at a time, ${SCALE_SECONDS} s each`,
      ['scale', 'products', 'customers', 'orders/s', 'vs 1x'],
      scale.map(({ factor, perSecond }) => [
        `${factor}x`,
        String(PRODUCTS * factor),
        String(CUSTOMERS * factor),
        fixed(perSecond),
        `${fixed((perSecond / scale[0]!.perSecond) * 100)} %`,
      ]),
    );
    // Where the growth goes: the same table at each scale shows which part pays for a larger
    // catalog and more customers.
    const cpuTotals = scale.map(({ cpuPerOrderMs }) =>
      Object.values(cpuPerOrderMs).reduce((sum, ms) => sum + ms, 0),
    );
    const atOne = scale[0]!.cpuPerOrderMs;
    printTable(
      `CPU per order accepted in the closed loop (user + system, from /proc; at 1x ${CPUS} CPUs allow ${fixed((CPUS * 1000) / Math.max(cpuTotals[0]!, 0.001))} orders/s at this cost)`,
      ['part', ...scale.map(({ factor }) => `at ${factor}x`)],
      [
        ...Object.keys(atOne)
          .sort((a, b) => atOne[b]! - atOne[a]!)
          .map((part) => [
            part,
            ...scale.map(({ cpuPerOrderMs }) => `${fixed(cpuPerOrderMs[part] ?? 0, 2)} ms`),
          ]),
        ['all of them', ...cpuTotals.map((total) => `${fixed(total, 2)} ms`)],
      ],
    );
    // Per offered rate: past what the system keeps up with, requests pile up in the gateway and
    // the services, and so does the memory they hold.
    printTable(
      `resident memory under load (${built ? 'node dist/main.js' : 'tsx sources'}), the most seen at each offered rate, largest instance`,
      ['service', ...steps.map((step) => `at ${step.offered}/s`)],
      SERVICES_UNDER_LOAD.map((name) => [
        name,
        ...steps.map((step) => `${fixed(step.residentMiB[name] ?? 0)} MiB`),
      ]),
    );
    console.log(`  invariant: ${invariant}`);
  },
};
