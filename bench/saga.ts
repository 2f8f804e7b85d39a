import { createPool } from '@shop/postgres';
import {
  createStockedProduct,
  latencyRow,
  LATENCY_HEADER,
  perSecond,
  printTable,
  progress,
  runPool,
  seconds,
  signUp,
  startBenchSystem,
  type Benchmark,
  type BenchSystem,
} from './support';

const ORDERS = 200;
const CUSTOMERS = 5;
const PRODUCTS = 10;
// Ten times what the orders can take at most (200 orders x 2 lines x 3 units over 10 products),
// so every order is CONFIRMED and the figure is the happy path.
const STOCK_PER_PRODUCT = 1200;

interface OrderView {
  id: string;
  status: string;
  items: { productId: string; quantity: number }[];
}

async function allOrders(api: BenchSystem['api'], token: string): Promise<OrderView[]> {
  const orders: OrderView[] = [];
  for (let page = 1; ; page += 1) {
    const answer = await api.get(`/orders?limit=100&page=${page}`, { token });
    if (answer.status !== 200) throw new Error(`order list: ${answer.status} ${answer.text}`);
    orders.push(...(answer.body.items as OrderView[]));
    if (orders.length >= answer.body.total || answer.body.items.length === 0) return orders;
  }
}

export const saga: Benchmark = {
  name: 'saga',
  measures: `${ORDERS} orders through the gateway: accepted/s, POST latency, time to final state, invariant`,
  async run() {
    const bench = await startBenchSystem();
    const { api } = bench;
    console.log(`  system ready in ${bench.totalSeconds.toFixed(1)} s; stocking the shop`);
    const admin = await bench.adminToken();
    const products: string[] = [];
    for (let index = 0; index < PRODUCTS; index += 1) {
      products.push(
        await createStockedProduct(api, admin, {
          name: `Bench item ${index + 1}`,
          price: 1000 + index * 100,
          initialStock: STOCK_PER_PRODUCT,
        }),
      );
    }
    const customers = await Promise.all(
      Array.from({ length: CUSTOMERS }, (_, index) => signUp(api, `customer${index + 1}`)),
    );

    const postLatencies: number[] = [];
    const orderIds: string[] = [];
    const report = progress('placed', 'orders', ORDERS);
    const placing = await runPool({
      total: ORDERS,
      concurrency: CUSTOMERS,
      deadlineMs: 30_000,
      onProgress: report,
      async task(index, worker) {
        // Deterministic, varied baskets: one or two lines of one to three units.
        const lines = [{ productId: products[index % PRODUCTS]!, quantity: 1 + (index % 3) }];
        if (index % 2 === 1)
          lines.push({ productId: products[(index * 7 + 3) % PRODUCTS]!, quantity: 1 });
        const started = performance.now();
        const placed = await api.post(
          '/orders',
          { items: lines },
          { token: customers[worker]!.token },
        );
        postLatencies.push(performance.now() - started);
        if (placed.status !== 201) throw new Error(`place order: ${placed.status} ${placed.text}`);
        orderIds.push(placed.body.id as string);
      },
    });

    const settling = performance.now();
    let pending = orderIds.length;
    const settled = progress('final', 'orders', orderIds.length);
    while (pending > 0 && performance.now() - settling < 20_000) {
      const answer = await api.get('/orders?status=PENDING&limit=1', { token: admin });
      pending = answer.body.total as number;
      settled(orderIds.length - pending);
      if (pending > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const lastFinalMs = performance.now() - settling;

    // Time to final state from the order's own timestamps (accepted -> CONFIRMED/REJECTED).
    const pool = createPool(bench.databaseUrl(bench.databases.orders), { max: 1 });
    const finalTimes = await pool
      .query<{ ms: number; status: string }>(
        `SELECT status, extract(epoch FROM finalized_at - created_at)::float8 * 1000 AS ms
         FROM orders WHERE id = ANY($1::uuid[]) AND finalized_at IS NOT NULL`,
        [orderIds],
      )
      .finally(() => pool.end());

    printTable(
      `saga: ${placing.completed} orders by ${CUSTOMERS} concurrent customers`,
      ['figure', 'value'],
      [
        ['orders accepted', perSecond(placing.completed, placing.elapsedMs)],
        ['placing took', seconds(placing.elapsedMs)],
        ['last order final after placing', seconds(lastFinalMs)],
      ],
    );
    printTable('', LATENCY_HEADER, [
      latencyRow('POST /api/orders (201)', postLatencies),
      latencyRow(
        'accepted -> final state',
        finalTimes.rows.map((row) => row.ms),
      ),
    ]);

    const orders = await allOrders(api, admin);
    const placedHere = new Set(orderIds);
    const ours = orders.filter((order) => placedHere.has(order.id));
    const byStatus = new Map<string, number>();
    for (const order of ours) byStatus.set(order.status, (byStatus.get(order.status) ?? 0) + 1);
    const rows: string[][] = [];
    let holds = (byStatus.get('PENDING') ?? 0) === 0;
    for (const productId of products) {
      const stock = await api.get(`/inventory/${productId}`, { token: admin });
      const { available, reserved } = stock.body as { available: number; reserved: number };
      const confirmed = ours
        .filter((order) => order.status === 'CONFIRMED')
        .flatMap((order) => order.items)
        .filter((line) => line.productId === productId)
        .reduce((sum, line) => sum + line.quantity, 0);
      const ok = available + reserved === STOCK_PER_PRODUCT && reserved === confirmed;
      holds &&= ok;
      rows.push([
        productId.slice(-8),
        String(STOCK_PER_PRODUCT),
        String(available),
        String(reserved),
        String(confirmed),
        ok ? 'ok' : 'BROKEN',
      ]);
    }
    printTable(
      `invariant: ${[...byStatus].map(([status, count]) => `${count} ${status}`).join(', ')}; ${
        holds ? 'HOLDS' : 'BROKEN'
      }`,
      ['product', 'put in', 'available', 'reserved', 'confirmed qty', 'check'],
      rows,
    );
    if (!holds) process.exitCode = 1;
  },
};
