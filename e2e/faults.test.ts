import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createPool } from '@shop/postgres';
import { call, startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import type { ServiceName } from '../scripts/system/services';
import { burstOfOrders } from './order-burst';
import { allOrders, startShop, type Shop } from './support';

// Issue 16's faults, with the whole system running as processes. Postgres and Redis are reached
// through proxies this test cuts (the shared servers are never touched); pg_terminate_backend is
// aimed only at the backends of this shop's own databases.
let shop: Shop;
let postgres: TcpProxy;
let redis: TcpProxy;

const endpoint = (url: string, port: number) => ({ host: new URL(url).hostname, port });

before(async () => {
  postgres = await startTcpProxy(endpoint(testServers.postgresUrl, 5432));
  redis = await startTcpProxy(endpoint(testServers.redisUrl, 6379));
  shop = await startShop({
    postgresUrl: postgres.wrap(testServers.postgresUrl),
    redisUrl: redis.wrap(testServers.redisUrl),
  });
});
after(async () => {
  postgres?.restore();
  redis?.restore();
  await shop?.stop();
  await postgres?.close();
  await redis?.close();
});

const DATABASE_SERVICES: ServiceName[] = ['user-service', 'order-service', 'inventory-service'];

async function readiness(service: ServiceName) {
  const answer = await call(shop.system.urls[service], 'GET', '/ready');
  return { status: answer.status, checks: answer.body.checks as Record<string, string> };
}

const pids = () =>
  Object.fromEntries(DATABASE_SERVICES.map((name) => [name, shop.system.pid(name)]));

/** Ends every server-side connection to this shop's databases, and only those. */
async function terminateShopBackends(): Promise<number> {
  const admin = createPool(testServers.postgresUrl, { max: 1 });
  try {
    // Materialized first: in one WHERE, Postgres may call pg_terminate_backend before the filters
    // that keep it to this shop's backends (quals have no evaluation order), ending others' too.
    const { rows } = await admin.query<{ pid: number }>(
      `WITH targets AS MATERIALIZED (
         SELECT pid FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid())
       SELECT pid FROM targets WHERE pg_terminate_backend(pid)`,
      [Object.values(shop.databases)],
    );
    return rows.length;
  } finally {
    await admin.end();
  }
}

async function stockedProducts(names: string[], initialStock: number) {
  const admin = await shop.adminToken();
  return Promise.all(
    names.map((name) => shop.createProduct(admin, { name, price: 1500, initialStock })),
  );
}

async function customers(names: string[]) {
  return Promise.all(names.map((name) => shop.signUp(name)));
}

async function assertEveryOrderFinal(placed: { id: string; token: string }[]) {
  const finals = await Promise.all(placed.map((order) => shop.finalOrder(order.id, order.token)));
  for (const order of finals) {
    assert.ok(['CONFIRMED', 'REJECTED', 'CANCELLED'].includes(order.status), order.status);
  }
  await shop.assertInvariant();
}

describe('faults with the whole system running', () => {
  test('when every Postgres connection of the shop is killed twice mid-burst, then services recover without a restart and every order ends final', async () => {
    const products = await stockedProducts(['Birch spoon', 'Clay bowl'], 15);
    const buyers = await customers(['tess', 'uma', 'vic']);
    const before = pids();
    let terminated = 0;

    const placed = await burstOfOrders(shop.api, {
      count: 24,
      customers: buyers,
      productIds: products.map((product) => product.id),
      cancelEvery: 5,
      concurrency: 4,
      midway: async () => {
        terminated += await terminateShopBackends();
        await new Promise((resolve) => setTimeout(resolve, 300));
        terminated += await terminateShopBackends();
      },
    });

    assert.ok(terminated > 0, 'connections were there to kill');
    await assertEveryOrderFinal(placed);
    assert.deepEqual(pids(), before, 'no service restarted');
    for (const service of DATABASE_SERVICES) {
      assert.equal((await readiness(service)).status, 200, `${service} is ready again`);
    }
  });

  test('when Postgres is unreachable, then /ready says so and orders get 503 problem details, and once it is back everything works without a restart', async () => {
    const [product] = await stockedProducts(['Pine shelf'], 10);
    const [buyer] = await customers(['wendy']);
    const before = pids();

    postgres.cut();
    try {
      for (const service of DATABASE_SERVICES) {
        const ready = await waitFor(
          async () => {
            const answer = await readiness(service);
            return answer.status === 503 ? answer : undefined;
          },
          { what: `${service} to report not ready`, timeoutMs: 15_000 },
        );
        assert.equal(ready.checks.postgres, 'down', `${service}: ${JSON.stringify(ready.checks)}`);
        assert.equal(ready.checks.rabbitmq ?? 'up', 'up', 'the broker is still fine');
      }
      const refused = await shop.postOrder(buyer!.token, [{ productId: product!.id, quantity: 1 }]);
      assert.equal(refused.status, 503, refused.text);
      assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
      const catalog = await shop.api.get(`/products/${product!.id}`);
      assert.equal(catalog.status, 200, 'the catalog lives in MongoDB and keeps answering');
    } finally {
      postgres.restore();
    }

    for (const service of DATABASE_SERVICES) {
      await waitFor(async () => (await readiness(service)).status === 200, {
        what: `${service} to be ready again`,
        timeoutMs: 20_000,
      });
    }
    const placed = await shop.postOrder(buyer!.token, [{ productId: product!.id, quantity: 1 }]);
    assert.equal(placed.status, 201, placed.text);
    assert.equal((await shop.finalOrder(placed.body.id, buyer!.token)).status, 'CONFIRMED');
    assert.deepEqual(pids(), before, 'no service restarted');
  });

  test('when Redis is unreachable, then the gateway fails open (no rate limiting, requests pass) and product reads come from MongoDB', async () => {
    const [product] = await stockedProducts(['Rush mat'], 5);
    const [buyer] = await customers(['xena']);

    redis.cut();
    try {
      const gatewayReady = await waitFor(
        async () => {
          const answer = await readiness('api-gateway');
          return answer.status === 503 ? answer : undefined;
        },
        { what: 'the gateway to report Redis down', timeoutMs: 15_000 },
      );
      assert.equal(gatewayReady.checks.redis, 'down');
      assert.equal((await readiness('product-service')).status, 200, 'Redis is only its cache');
      for (let i = 0; i < 5; i++) {
        const read = await shop.api.get(`/products/${product!.id}`);
        assert.equal(read.status, 200, read.text);
        assert.equal(read.body.name, 'Rush mat');
      }
      const listed = await shop.api.get('/products?q=Rush');
      assert.equal(listed.status, 200, listed.text);
      const ordered = await shop.postOrder(buyer!.token, [{ productId: product!.id, quantity: 1 }]);
      assert.equal(ordered.status, 201, ordered.text);
      assert.equal((await shop.finalOrder(ordered.body.id, buyer!.token)).status, 'CONFIRMED');
    } finally {
      redis.restore();
    }
    await waitFor(async () => (await readiness('api-gateway')).status === 200, {
      what: 'the gateway to be ready again',
      timeoutMs: 20_000,
    });
  });

  test('when order-service is SIGKILLed mid-burst and started again, then no order is lost and none is left PENDING', async () => {
    const products = await stockedProducts(['Flax towel', 'Horn comb'], 12);
    const buyers = await customers(['yara', 'zeno']);

    const placed = await burstOfOrders(shop.api, {
      count: 20,
      customers: buyers,
      productIds: products.map((product) => product.id),
      cancelEvery: 4,
      concurrency: 4,
      midway: async () => {
        await shop.system.killService('order-service');
        await shop.system.startService('order-service');
      },
    });

    // Each order a customer was told about is there once: a try cut off by the kill was replayed.
    const stored = await allOrders(shop.api, await shop.adminToken());
    for (const order of placed) {
      assert.equal(stored.filter((each) => each.id === order.id).length, 1, order.id);
    }
    assert.equal(new Set(placed.map((order) => order.idempotencyKey)).size, placed.length);
    await assertEveryOrderFinal(placed);
  });
});
