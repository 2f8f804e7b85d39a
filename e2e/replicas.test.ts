import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseUrl, createPool } from '@shop/postgres';
import { clientFor, testServers, waitFor } from '@shop/testkit';
import demoCatalog from '../product-service/src/demo-catalog.json';
import type { ServiceName } from '../scripts/system/services';
import { burstOfOrders, type PlacedOrder } from './order-burst';
import { allOrders, startShop, type Shop } from './support';

// Issue 18: two instances of every domain service on one set of databases and queues, competing
// for the same messages, with one inventory-service and one order-service SIGKILLed mid-burst.
const TTL_MS = 2000;
const REGISTRY_TOKEN = 'e2e-replicas-registry-token-0123456789abcdef';
let shop: Shop;

before(async () => {
  shop = await startShop({
    replicas: 2,
    registryToken: REGISTRY_TOKEN,
    env: {
      SEED_DEMO_CATALOG: 'true',
      REGISTRY_TTL_MS: String(TTL_MS),
      DISCOVERY_CACHE_MS: '500',
    },
  });
});
after(async () => {
  await shop?.stop();
});

const registry = () => clientFor(shop.system.urls['service-registry']);

async function healthyPorts(service: ServiceName): Promise<number[]> {
  const listed = await registry().get(`/services?name=${service}&state=healthy`, {
    token: REGISTRY_TOKEN,
  });
  assert.equal(listed.status, 200, listed.text);
  return (listed.body.instances as { port: number }[]).map((each) => each.port).sort();
}

const portOf = (url: string) => Number(new URL(url).port);

async function rowsOf<T extends object>(database: string, sql: string): Promise<T[]> {
  const pool = createPool(databaseUrl(testServers.postgresUrl, database), { max: 1 });
  try {
    return (await pool.query<T>(sql)).rows;
  } finally {
    await pool.end();
  }
}

describe('two replicas of every domain service', () => {
  test('when started, then each replica is registered under the REGISTRY_TOKEN given', async () => {
    assert.equal(shop.system.registryToken, REGISTRY_TOKEN);
    for (const service of [
      'user-service',
      'product-service',
      'inventory-service',
      'order-service',
    ] as const) {
      const instances = shop.system.instances(service);
      assert.deepEqual(
        instances.map((instance) => instance.label),
        [`${service}#1`, `${service}#2`],
      );
      assert.deepEqual(
        await healthyPorts(service),
        instances.map((instance) => portOf(instance.url)).sort(),
      );
    }
    const anonymous = await registry().get('/services');
    assert.equal(anonymous.status, 401);
  });

  test('when both replicas seeded and bootstrapped at once, then there is one demo catalog and one admin', async () => {
    const listed = await waitFor(
      async () => {
        const page = await shop.api.get('/products?limit=100');
        return page.body.total >= demoCatalog.length ? page : undefined;
      },
      { what: 'the demo catalog' },
    );
    assert.equal(listed.body.total, demoCatalog.length);
    const skus = (listed.body.items as { sku: string }[]).map((product) => product.sku).sort();
    assert.deepEqual(skus, demoCatalog.map((entry) => entry.sku).sort());
    const admins = await rowsOf<{ email: string }>(
      shop.databases.users,
      `SELECT email FROM users WHERE role = 'admin'`,
    );
    assert.equal(admins.length, 1, JSON.stringify(admins));
  });

  test('when one inventory-service and one order-service are SIGKILLed in a burst of orders and cancels, then every order ends final and stock adds up', async () => {
    const admin = await shop.adminToken();
    const products = await Promise.all(
      ['Walnut tray', 'Copper kettle', 'Wool blanket'].map((name) =>
        shop.createProduct(admin, { name, price: 3100, initialStock: 20 }),
      ),
    );
    const customers = await Promise.all(
      ['olga', 'piotr', 'quinn', 'rosa'].map((name) => shop.signUp(name)),
    );
    const doomed = {
      inventory: portOf(shop.system.instances('inventory-service')[1]!.url),
      orders: portOf(shop.system.instances('order-service')[1]!.url),
    };

    const placed: PlacedOrder[] = await burstOfOrders(shop.api, {
      count: 40,
      customers,
      productIds: products.map((product) => product.id),
      cancelEvery: 3,
      concurrency: 6,
      midway: async () => {
        await Promise.all([
          shop.system.killService('inventory-service', 2),
          shop.system.killService('order-service', 2),
        ]);
      },
    });

    // The registry drops the killed replicas (how soon, within its TTL, is the registry's own
    // replica-crash test; here the rest of the burst already ran after the kill).
    await waitFor(
      async () =>
        !(await healthyPorts('order-service')).includes(doomed.orders) &&
        !(await healthyPorts('inventory-service')).includes(doomed.inventory),
      { what: 'the killed replicas to leave the registry', timeoutMs: 3 * TTL_MS },
    );

    // Every order placed exists once: a try that landed on the dying replica was replayed by key.
    const token = await shop.adminToken();
    const stored = await allOrders(shop.api, token);
    const ours = stored.filter((order) => placed.some((each) => each.id === order.id));
    assert.equal(new Set(placed.map((order) => order.id)).size, placed.length, 'no order twice');
    assert.equal(ours.length, placed.length, 'no order lost');

    const finals = await Promise.all(
      placed.map(async (order) => ({
        ...order,
        ...(await shop.finalOrder(order.id, order.token)),
      })),
    );
    for (const order of finals) {
      const allowed = order.cancelled ? ['CANCELLED', 'REJECTED'] : ['CONFIRMED', 'REJECTED'];
      assert.ok(allowed.includes(order.status), `${order.id} ended ${order.status}`);
    }
    assert.ok(
      finals.some((order) => order.status === 'CONFIRMED'),
      'some orders fit the stock',
    );
    await shop.assertInvariant();

    const duplicates = await rowsOf(
      shop.databases.inventory,
      `SELECT order_id, product_id, reason, count(*)::int AS times FROM stock_ledger
        WHERE reason IN ('reserve', 'release')
        GROUP BY order_id, product_id, reason HAVING count(*) > 1`,
    );
    assert.deepEqual(duplicates, [], 'no reservation or release booked twice');
    const drift = await rowsOf(
      shop.databases.inventory,
      `SELECT s.product_id FROM stock s JOIN stock_ledger l USING (product_id)
        GROUP BY s.product_id, s.available, s.reserved
       HAVING sum(l.delta_available) <> s.available OR sum(l.delta_reserved) <> s.reserved`,
    );
    assert.deepEqual(drift, [], 'the ledger adds up to every stock row');
  });

  test('when a killed replica has left the registry, then the gateway stops sending to it', async () => {
    // Past the gateway's discovery cache, no order goes to the dead replica: each lands first try.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const admin = await shop.adminToken();
    const [product] = await Promise.all([
      shop.createProduct(admin, { name: 'Ash stool', price: 4500, initialStock: 30 }),
    ]);
    const customer = await shop.signUp('sam');
    for (let i = 0; i < 8; i++) {
      const placed = await shop.postOrder(customer.token, [
        { productId: product!.id, quantity: 1 },
      ]);
      assert.equal(placed.status, 201, `order ${i}: ${placed.text}`);
    }
    await shop.assertInvariant();
  });
});
