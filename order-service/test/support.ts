import express from 'express';
import { QUEUES } from '@shop/contracts';
import { startConsumer, type EventEnvelope } from '@shop/messaging';
import type { Pool, Queryable } from '@shop/postgres';
import { createLogger, createMetricsRegistry, type LogLevel } from '@shop/service-kit';
import {
  brokerNamespace,
  createOutboxTestDatabase,
  serveForTest,
  startTestServer,
  TEST_JWT_SECRET,
  testServers,
  tokenFor,
  uniqueName,
  useSuite,
  waitFor,
  type BrokerNamespace,
} from '@shop/testkit';
import { productCatalogOverHttp } from '../src/clients/product-catalog';
import { migrations } from '../src/db/migrations';
import type { OrderStatus } from '../src/domain/order-status';
import { startOrderService as startComposedOrderService } from '../src/service';

const logLevel = (process.env.LOG_LEVEL ?? 'silent') as LogLevel;

export const customer = (userId = uniqueName('user')) => ({
  userId,
  token: tokenFor({ userId, role: 'customer' }),
});
export const admin = () => ({
  userId: 'admin-1',
  token: tokenFor({ userId: 'admin-1', role: 'admin' }),
});

export interface StubProduct {
  id: string;
  name: string;
  price: number;
}

// Product ids are 24 lower-case hex digits, as product-service makes them.
export const MUG = 'a10000000000000000000001';
export const TEA = 'a20000000000000000000002';
/** Priced so that a few of them pass the largest total an order may have. */
export const YACHT = 'a30000000000000000000003';
/** Ids the stub catalogue never has. */
export const NOPE = 'a40000000000000000000004';
export const GONE = 'a50000000000000000000005';
/** The suites' inventory never answers for it (`held`): its orders stay PENDING. */
export const HELD = 'a60000000000000000000006';
/** The suites stock one of it. */
export const SCARCE = 'a70000000000000000000007';

const STUB_CATALOG: Record<string, StubProduct> = {
  [MUG]: { id: MUG, name: 'Mug', price: 1299 },
  [TEA]: { id: TEA, name: 'Tea', price: 450 },
  [YACHT]: { id: YACHT, name: 'Yacht', price: Number.MAX_SAFE_INTEGER },
  [SCARCE]: { id: SCARCE, name: 'Saffron', price: 2500 },
  [HELD]: { id: HELD, name: 'Preorder', price: 100 },
};

/** The suites' products with these ids, as the stub product-service lists them. */
export const stubProducts = (...ids: string[]): StubProduct[] => ids.map((id) => STUB_CATALOG[id]!);

/**
 * product-service's `GET /products?ids=` over real HTTP, with the catalog the test gives it; counts
 * the requests, so a test can tell one bulk read from one read per line.
 */
export async function startStubProductService(products: StubProduct[]) {
  const byId = new Map(products.map((product) => [product.id, product]));
  const app = express();
  const requests: string[] = [];
  app.get('/products', (req, res) => {
    requests.push(req.url);
    const ids = String(req.query.ids ?? '').split(',');
    const items = ids.flatMap((id) => {
      const product = byId.get(id);
      return product
        ? [{ ...product, description: 'test', category: 'test', sku: `SKU-${product.id}` }]
        : [];
    });
    res.json({ items, page: 1, limit: 100, total: items.length });
  });
  const server = await startTestServer(app);
  return { ...server, requests };
}

/** product-service accepting connections but never answering. */
export async function startHangingProductService() {
  const app = express();
  app.get('/products', () => undefined);
  const server = await startTestServer(app);
  return {
    url: server.url,
    close: () => {
      server.server.closeAllConnections();
      return server.close();
    },
  };
}

/** A URL where nothing listens: product-service is down. */
export async function deadServiceUrl(): Promise<string> {
  const server = await startTestServer(express());
  await server.close();
  return server.url;
}

/**
 * order-service as main.ts starts it (src/service.ts), in-process: its own database, its own
 * RabbitMQ namespace, with short delays so the suites stay fast.
 */
export async function startOrderService(options: {
  productServiceUrl: string;
  /** Through a TCP proxy to simulate a broker outage. */
  rabbitmqUrl?: string;
  productServiceTimeoutMs?: number;
  /** 0 unless a suite tests the price cache: most suites change the stub's prices at will. */
  priceCacheMs?: number;
  /** The production defaults (15 min, every minute) unless a suite wants to see orders expire. */
  pendingOrderTimeoutMs?: number;
  pendingSweepIntervalMs?: number;
}) {
  const database = await createOutboxTestDatabase('orders', { migrations, maxConnections: 10 });
  const { pool } = database;
  // Deleted with the service: its queue, and those its fellow test consumers note in it.
  const broker = brokerNamespace('orders');
  broker.queue(QUEUES.orders);
  const logger = createLogger({ service: 'order-service', level: logLevel });
  const metrics = createMetricsRegistry('order-service');
  const rabbit = broker.connect(
    { logger, metrics },
    { url: options.rabbitmqUrl ?? testServers.rabbitmqUrl, maxReconnectDelayMs: 500 },
  );
  await rabbit.waitUntilConnected(10_000);
  const catalog = productCatalogOverHttp({
    baseURL: options.productServiceUrl,
    timeoutMs: options.productServiceTimeoutMs ?? 1500,
    retries: 1,
    priceCacheMs: options.priceCacheMs ?? 0,
  });
  const service = startComposedOrderService(
    {
      JWT_SECRET: TEST_JWT_SECRET,
      PENDING_ORDER_TIMEOUT_MS: options.pendingOrderTimeoutMs ?? 15 * 60_000,
      PENDING_SWEEP_INTERVAL_MS: options.pendingSweepIntervalMs ?? 60_000,
    },
    { pool, rabbit, catalog },
    { logger, metrics },
    {
      relay: { intervalMs: 100, maxBackoffMs: 500 },
      consumers: { retryDelaysMs: [100, 200], maxAttempts: 3 },
    },
  );
  await service.waitUntilConsuming(10_000);
  const served = await serveForTest(service);
  return {
    url: served.url,
    http: served.http,
    pool,
    rabbit,
    broker,
    metrics,
    orderMetrics: service.orderMetrics,
    async stop() {
      await served.close();
      catalog.close();
      await rabbit.close();
      await broker.delete();
      await database.close();
    },
  };
}

export type OrderServiceUnderTest = Awaited<ReturnType<typeof startOrderService>>;
export type StubProductService = Awaited<ReturnType<typeof startStubProductService>>;
export type InventoryPlayer = Awaited<ReturnType<typeof startInventoryPlayer>>;

export interface Saga {
  catalog: StubProductService;
  service: OrderServiceUnderTest;
  inventory: InventoryPlayer;
}

/**
 * Inside a describe: before its tests, the catalog stub, order-service and the inventory player
 * over them; after them, all stopped. `serviceOptions` is read in that before hook, so it may use
 * what an earlier hook started (a TCP proxy).
 */
export function useSaga(options: {
  products: StubProduct[];
  stock: Record<string, number>;
  held?: string[];
  serviceOptions?: () => Omit<Parameters<typeof startOrderService>[0], 'productServiceUrl'>;
}): Saga {
  return useSuite(
    async () => {
      const catalog = await startStubProductService(options.products);
      const service = await startOrderService({
        productServiceUrl: catalog.url,
        ...options.serviceOptions?.(),
      });
      const inventory = await startInventoryPlayer({
        pool: service.pool,
        broker: service.broker,
        stock: options.stock,
        ...(options.held ? { held: options.held } : {}),
      });
      return { catalog, service, inventory };
    },
    async ({ catalog, service, inventory }) => {
      await inventory.stop();
      await service.stop();
      await catalog.close();
    },
  );
}

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** `POST /orders` with these lines, as the customer with `token`; the answer, whatever it is. */
export function postOrder(
  service: OrderServiceUnderTest,
  token: string,
  lines: OrderLine[],
  headers?: Record<string, string>,
) {
  return service.http.post('/orders', { items: lines }, { token, ...(headers ? { headers } : {}) });
}

/** Places an order of one line per product id, as the customer with `token`; returns its id. */
export async function placeOrder(
  service: OrderServiceUnderTest,
  token: string,
  lines: OrderLine[],
): Promise<string> {
  const placed = await postOrder(service, token, lines);
  if (placed.status !== 201)
    throw new Error(`placing the order gave ${placed.status}: ${placed.text}`);
  return placed.body.id as string;
}

/** How many events of `type` about the order the outbox holds, sent or not. */
export function outboxEventsOf(
  service: OrderServiceUnderTest,
  type: string,
  orderId: string,
): Promise<number> {
  return countRows(
    service.pool,
    "SELECT count(*) FROM outbox WHERE event_type = $1 AND envelope->'data'->>'orderId' = $2",
    [type, orderId],
  );
}

/** Waits until the order reads `status` over the API; returns the order's body. */
export function waitForStatus(
  service: OrderServiceUnderTest,
  token: string,
  orderId: string,
  status: string,
) {
  return waitFor(
    async () => {
      const order = await service.http.get(`/orders/${orderId}`, { token });
      return order.body.status === status && order.body;
    },
    { timeoutMs: 15_000, what: `order ${orderId} to be ${status}` },
  );
}

/**
 * The test plays inventory-service: it reads order events from its own queue in the service's
 * namespace and answers each ORDER_CREATED from a stock table, as docs/architecture.md ("The order saga") says
 * inventory does. Orders naming a `held` product get no answer until the test sends one.
 */
export async function startInventoryPlayer(options: {
  pool: Pool;
  /** The service's namespace; the player's queue is deleted with it. */
  broker: BrokerNamespace;
  stock: Record<string, number>;
  held?: string[];
}) {
  const logger = createLogger({ service: 'test-inventory', level: logLevel });
  const metrics = createMetricsRegistry('test-inventory');
  const rabbit = options.broker.connect({ logger, metrics });
  await rabbit.waitUntilConnected(10_000);
  const seen: EventEnvelope<{ orderId: string } & Record<string, unknown>>[] = [];
  const record = async (event: EventEnvelope<{ orderId: string }>) => {
    seen.push(event);
  };
  const consumer = startConsumer({
    rabbit,
    pool: options.pool,
    logger,
    metrics,
    queue: options.broker.queue(uniqueName('test-inventory')),
    events: ['ORDER_CREATED', 'ORDER_CONFIRMED', 'ORDER_REJECTED', 'ORDER_CANCELLED'],
    retryDelaysMs: [100],
    maxAttempts: 2,
    handlers: {
      ORDER_CREATED: async (event) => {
        seen.push(event);
        const { orderId, items } = event.data;
        if (items.some((item) => options.held?.includes(item.productId))) return;
        const shortages = items
          .map((item) => ({
            productId: item.productId,
            requested: item.quantity,
            available: options.stock[item.productId] ?? 0,
          }))
          .filter((line) => line.requested > line.available);
        if (shortages.length > 0) {
          await rabbit.publish('INVENTORY_REJECTED', {
            orderId,
            reason: 'insufficient stock',
            shortages,
          });
        } else {
          await rabbit.publish('INVENTORY_RESERVED', {
            orderId,
            items: items.map(({ productId, quantity }) => ({ productId, quantity })),
          });
        }
      },
      ORDER_CONFIRMED: record,
      ORDER_REJECTED: record,
      ORDER_CANCELLED: record,
    },
  });
  // Publishing before the queue is bound would lose the event: wait until it consumes.
  await consumer.waitUntilConsuming(10_000);
  return {
    rabbit,
    /** Events of one order the player has received, by type. */
    eventsOf: (orderId: string) =>
      seen.filter((event) => event.data.orderId === orderId).map((event) => event.eventType),
    envelopeOf: (orderId: string, type: string) =>
      seen.find((event) => event.data.orderId === orderId && event.eventType === type),
    async stop() {
      await consumer.stop();
      await rabbit.close();
    },
  };
}

export async function countRows(pool: Pool, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ count: number }>(sql, params);
  return Number(rows[0]?.count ?? 0);
}

/** An order's history rows, oldest first: what the tests check every move against. */
export async function statusHistory(
  db: Queryable,
  orderId: string,
): Promise<{ from: OrderStatus | null; to: OrderStatus; reason: string | null }[]> {
  const { rows } = await db.query<{
    from_status: OrderStatus | null;
    to_status: OrderStatus;
    reason: string | null;
  }>(
    `SELECT from_status, to_status, reason FROM order_status_history
      WHERE order_id = $1 ORDER BY id`,
    [orderId],
  );
  return rows.map((row) => ({ from: row.from_status, to: row.to_status, reason: row.reason }));
}
