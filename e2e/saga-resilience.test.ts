import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTcpProxy, testServers, type TcpProxy } from '@shop/testkit';
import { startShop, type Shop } from './support';

// docs/architecture.md, "The order saga": the invariant holds through concurrent orders and a broker or service
// restart in the middle. The broker is cut through a proxy the test controls (never the shared
// server itself); the service is stopped and started like a crashed pod coming back.
let shop: Shop;
let broker: TcpProxy;

before(async () => {
  const { hostname, port } = new URL(testServers.rabbitmqUrl);
  broker = await startTcpProxy({ host: hostname, port: Number(port || 5672) });
  shop = await startShop({ rabbitmqUrl: broker.wrap(testServers.rabbitmqUrl) });
});
after(async () => {
  await shop?.stop();
  await broker?.close();
});

/** Places `count` orders from a few customers at once, running `midway` after half of them. */
async function burstOfOrders(count: number, productIds: string[], midway: () => Promise<void>) {
  const customers = await Promise.all(['ivan', 'judy', 'mallory'].map((name) => shop.signUp(name)));
  const place = async (i: number) => {
    const customer = customers[i % customers.length]!;
    const items = [{ productId: productIds[i % productIds.length]!, quantity: 1 + (i % 2) }];
    const placed = await shop.api.post('/orders', { items }, { token: customer.token });
    assert.equal(placed.status, 201, placed.text);
    return { id: placed.body.id as string, token: customer.token };
  };
  const half = Math.floor(count / 2);
  const first = await Promise.all(Array.from({ length: half }, (_, i) => place(i)));
  await midway();
  const second = await Promise.all(Array.from({ length: count - half }, (_, i) => place(half + i)));
  return [...first, ...second];
}

describe('the order saga under failure', () => {
  test('when the broker goes away in the middle of a burst of orders, then every order still ends final and stock adds up', async () => {
    const admin = await shop.adminToken();
    const products = await Promise.all(
      ['Cast-iron pan', 'Linen apron'].map((name) =>
        shop.createProduct(admin, { name, price: 2500, initialStock: 15 }),
      ),
    );
    const orders = await burstOfOrders(
      30,
      products.map((product) => product.id),
      async () => {
        broker.cut();
        // Orders keep being accepted: each waits in order-service's outbox.
        setTimeout(() => broker.restore(), 1500);
      },
    );
    const finals = await Promise.all(orders.map((order) => shop.finalOrder(order.id, order.token)));
    const statuses = new Set(finals.map((order) => order.status));
    assert.ok(statuses.has('CONFIRMED'), 'some orders fit the stock');
    assert.ok(statuses.has('REJECTED'), 'the rest were over it');
    assert.ok([...statuses].every((status) => status === 'CONFIRMED' || status === 'REJECTED'));
    await shop.assertInvariant();
  });

  test('when inventory-service restarts in the middle of a burst of orders, then every order still ends final and stock adds up', async () => {
    const admin = await shop.adminToken();
    const products = await Promise.all(
      ['Oak cutting board', 'Enamel mug'].map((name) =>
        shop.createProduct(admin, { name, price: 1800, initialStock: 12 }),
      ),
    );
    const orders = await burstOfOrders(
      24,
      products.map((product) => product.id),
      async () => {
        await shop.system.stopService('inventory-service');
        await shop.system.startService('inventory-service');
      },
    );
    const finals = await Promise.all(orders.map((order) => shop.finalOrder(order.id, order.token)));
    assert.ok(finals.every((order) => order.status === 'CONFIRMED' || order.status === 'REJECTED'));
    await shop.assertInvariant();
  });
});
