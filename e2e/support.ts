import assert from 'node:assert/strict';
import path from 'node:path';
import { clientFor, testServers, uniqueName, waitFor, type TestResponse } from '@shop/testkit';
import { isolatedSystem } from '../scripts/system/isolation';
import { startSystem, type RunningSystem, type SystemOptions } from '../scripts/system/launcher';
import { SERVICES } from '../scripts/system/services';

const root = path.resolve(__dirname, '..');
const admin = { email: 'e2e-admin@shop.test', password: 'e2e-admin-password-1' };

export type Api = ReturnType<typeof clientFor>;

export interface ShopOptions {
  /** The broker, Redis or Postgres to use instead of the shared server (a test's TCP proxy). */
  rabbitmqUrl?: string;
  redisUrl?: string;
  postgresUrl?: string;
  replicas?: number;
  registryToken?: string;
  /** Added to every service's environment. */
  env?: Record<string, string>;
  instanceEnv?: SystemOptions['instanceEnv'];
  /** Sees every line a service prints. */
  onLog?: (source: string, line: string) => void;
}

export interface Shop {
  system: RunningSystem;
  /** The shop's own database names, for tests that look at the rows themselves. */
  databases: { users: string; orders: string; inventory: string };
  /** The shop's RabbitMQ namespace and Redis key prefix. */
  namespace: string;
  /** The gateway's `/api`. */
  api: Api;
  /** Every unit of stock put in, by product, for the invariant of docs/architecture.md ("The order saga"). */
  stockPutIn: Map<string, number>;
  /** The last lines the services printed, for a failure message. */
  recentLogs(): string;
  adminToken(): Promise<string>;
  signUp(name: string): Promise<{ id: string; token: string; login: Record<string, string> }>;
  createProduct(
    token: string,
    fields: { name: string; price: number; initialStock: number },
  ): Promise<{ id: string }>;
  /** `POST /orders` with these lines, as the customer with `token`; the answer, whatever it is. */
  postOrder(token: string, lines: { productId: string; quantity: number }[]): Promise<TestResponse>;
  finalOrder(id: string, token: string): Promise<{ status: string; rejectionReason?: unknown }>;
  /** A product's stock as inventory-service tells it. */
  stockOf(productId: string, token: string): Promise<{ available: number; reserved: number }>;
  assertInvariant(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The whole system as separate processes on free ports, with its own databases, RabbitMQ
 * namespace and Redis prefixes, and the shop's actions through the gateway.
 */
export async function startShop(options: ShopOptions = {}): Promise<Shop> {
  const isolation = isolatedSystem(uniqueName('e2e'));
  const { namespace, databases } = isolation;
  const logs: string[] = [];
  const cleanUp = () => isolation.remove();
  let system: RunningSystem;
  try {
    system = await startSystem({
      root,
      ports: Object.fromEntries(SERVICES.map(({ name }) => [name, 0])),
      replicas: options.replicas,
      // Generous: a shared two-core CI machine compiles a dozen TypeScript services at once.
      readyTimeoutMs: 180_000,
      registryToken: options.registryToken,
      instanceEnv: options.instanceEnv,
      postgresUrl: options.postgresUrl ?? testServers.postgresUrl,
      databases,
      redisUrl: options.redisUrl ?? testServers.redisUrl,
      rabbitmqUrl: options.rabbitmqUrl ?? testServers.rabbitmqUrl,
      mongoUrl: process.env.MONGODB_URL,
      jwtSecret: 'e2e-secret-that-is-long-enough-for-hs256-abcdef',
      admin,
      env: {
        LOG_LEVEL: 'info',
        ...isolation.env,
        RATE_LIMIT_MAX: '10000',
        AUTH_RATE_LIMIT_MAX: '1000',
        ...options.env,
      },
      output: (source, line) => {
        options.onLog?.(source, line);
        logs.push(`${source} | ${line}`);
        // E2E_VERBOSE=1 streams every service's lines, for a run that hangs rather than fails.
        if (process.env.E2E_VERBOSE) process.stderr.write(`${source} | ${line}\n`);
        if (logs.length > 200) logs.shift();
      },
    });
  } catch (error) {
    await cleanUp();
    throw new Error(`${(error as Error).message}\n${logs.slice(-40).join('\n')}`);
  }
  const api = clientFor(`${system.urls['api-gateway']}/api`);
  const stockPutIn = new Map<string, number>();

  async function stockOf(productId: string, token: string) {
    const stock = await api.get(`/inventory/${productId}`, { token });
    return { available: stock.body.available, reserved: stock.body.reserved };
  }

  async function adminToken(): Promise<string> {
    const login = await api.post('/users/login', admin);
    assert.equal(login.status, 200, login.text);
    return login.body.accessToken;
  }

  return {
    system,
    databases,
    namespace,
    api,
    stockPutIn,
    recentLogs: () => logs.slice(-40).join('\n'),
    adminToken,
    async signUp(name) {
      const email = `${uniqueName(name)}@shop.test`;
      const password = 'correct-horse-battery-9';
      const registered = await api.post('/users/register', { email, password, name });
      assert.equal(registered.status, 201, registered.text);
      const login = await api.post('/users/login', { email, password });
      assert.equal(login.status, 200, login.text);
      return { id: registered.body.id, token: login.body.accessToken, login: login.body };
    },
    async createProduct(token, fields) {
      const created = await api.post(
        '/products',
        {
          name: fields.name,
          description: `${fields.name}, made for the end-to-end suite`,
          price: fields.price,
          category: 'e2e',
          sku: uniqueName('SKU').toUpperCase(),
          initialStock: fields.initialStock,
        },
        { token },
      );
      assert.equal(created.status, 201, created.text);
      const id: string = created.body.id;
      stockPutIn.set(id, fields.initialStock);
      // Inventory learns about the product from PRODUCT_CREATED over RabbitMQ.
      await waitFor(async () => (await api.get(`/inventory/${id}`, { token })).status === 200, {
        what: `stock row for ${fields.name}`,
        timeoutMs: 20_000,
      });
      return created.body;
    },
    postOrder(token, lines) {
      return api.post('/orders', { items: lines }, { token });
    },
    finalOrder(id, token) {
      return waitFor(
        async () => {
          const order = await api.get(`/orders/${id}`, { token });
          // A problem answer (a 503 while a dependency is cut) has a numeric status, not a final one.
          return order.status === 200 && order.body.status !== 'PENDING' ? order.body : undefined;
        },
        { what: `order ${id} to leave PENDING`, timeoutMs: 30_000 },
      );
    },
    stockOf,
    async assertInvariant() {
      const token = await adminToken();
      const orders = await waitFor(
        async () => {
          const items = await allOrders(api, token);
          return items.every((order) => order.status !== 'PENDING') ? items : undefined;
        },
        { what: 'every order to leave PENDING', timeoutMs: 30_000 },
      );
      for (const [productId, putIn] of stockPutIn) {
        const stock = await stockOf(productId, token);
        const confirmed = orders
          .filter((order) => order.status === 'CONFIRMED')
          .flatMap((order) => order.items)
          .filter((line) => line.productId === productId)
          .reduce((sum, line) => sum + line.quantity, 0);
        assert.equal(stock.available + stock.reserved, putIn, `stock of ${productId} adds up`);
        assert.equal(stock.reserved, confirmed, `reserved of ${productId} is its confirmed orders`);
      }
    },
    async stop() {
      await system.stop();
      await cleanUp();
    },
  };
}

export interface OrderView {
  id: string;
  status: string;
  items: { productId: string; quantity: number }[];
}

/** Every order the token may see, page by page. */
export async function allOrders(api: Api, token: string): Promise<OrderView[]> {
  const orders: OrderView[] = [];
  for (let page = 1; ; page++) {
    const answer = await api.get(`/orders?limit=100&page=${page}`, { token });
    assert.equal(answer.status, 200, answer.text);
    orders.push(...(answer.body.items as OrderView[]));
    if (orders.length >= answer.body.total || answer.body.items.length === 0) return orders;
  }
}
