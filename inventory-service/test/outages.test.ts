import assert from 'node:assert/strict';
import { setTimeout as pause } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { createPool, type Pool } from '@shop/postgres';
import { startTcpProxy, testServers, waitFor, type TcpProxy } from '@shop/testkit';
import { assertInventoryInvariant } from './invariant';
import {
  orderCreated,
  startInventoryDatabase,
  startInventoryUnderTest,
  stockOf,
  type InventoryDatabase,
} from './support';

const proxyTo = (url: string) => {
  const { hostname, port } = new URL(url);
  return startTcpProxy({ host: hostname, port: Number(port) });
};

// docs/architecture.md, "The order saga": the invariant holds through a database or broker outage in the middle of
// a burst of orders. The service reaches Postgres and RabbitMQ through proxies the test cuts.
describe('inventory through a database or broker outage', () => {
  let db: InventoryDatabase;
  let postgresProxy: TcpProxy;
  let rabbitProxy: TcpProxy;
  let servicePool: Pool;
  let inventory: Awaited<ReturnType<typeof startInventoryUnderTest>>;
  const answers = new Map<string, string[]>();
  const putIn: Record<string, number> = {};

  before(async () => {
    db = await startInventoryDatabase();
    postgresProxy = await proxyTo(testServers.postgresUrl);
    rabbitProxy = await proxyTo(testServers.rabbitmqUrl);
    servicePool = createPool(postgresProxy.wrap(db.url), { max: 20 });
    const record = async (event: { eventType: string; data: { orderId: string } }) => {
      answers.set(event.data.orderId, [
        ...(answers.get(event.data.orderId) ?? []),
        event.eventType,
      ]);
    };
    inventory = await startInventoryUnderTest({
      pool: servicePool,
      rabbitmqUrl: rabbitProxy.wrap(testServers.rabbitmqUrl),
      retryDelaysMs: [100, 200],
      timings: {
        relay: { intervalMs: 50, maxBackoffMs: 200 },
        // An outage may fail a handler mid-transaction; enough attempts to outlast it.
        consumers: { maxAttempts: 20 },
      },
      answers: {
        pool: db.pool,
        handlers: { INVENTORY_RESERVED: record, INVENTORY_REJECTED: record },
      },
    });
  });

  after(async () => {
    await inventory.stop();
    await postgresProxy.close();
    await rabbitProxy.close();
    await servicePool.end();
    await db.close();
  });

  async function burstWithOutage(productId: string, outage: TcpProxy) {
    await inventory.publisher.publish('PRODUCT_CREATED', {
      productId,
      sku: `SKU-${productId}`,
      initialStock: 40,
    });
    await waitFor(() => stockOf(db.pool, productId), { what: `stock of ${productId}` });
    putIn[productId] = 40;
    const orders = Array.from({ length: 120 }, () => orderCreated([{ productId, quantity: 1 }]));
    const ids = orders.map((order) => order.orderId);
    const answered = () => ids.filter((id) => answers.has(id)).length;

    const publishing = Promise.all(
      orders.map((order) => inventory.publisher.publish('ORDER_CREATED', order)),
    );
    await waitFor(() => answered() > 0, { intervalMs: 2, what: 'the first answer' });
    outage.cut();
    // How long the dependency stays away; what is asserted comes after it is back.
    await pause(500);
    outage.restore();
    await publishing;
    await waitFor(() => answered() === orders.length, { timeoutMs: 30_000, what: 'every answer' });

    const results = ids.map((id) => answers.get(id)!);
    assert.ok(
      results.every((result) => result.length === 1),
      'one answer per order',
    );
    assert.equal(results.filter(([type]) => type === 'INVENTORY_RESERVED').length, 40);
    assert.equal(results.filter(([type]) => type === 'INVENTORY_REJECTED').length, 80);
    assert.deepEqual(await stockOf(db.pool, productId), { available: 0, reserved: 40 });
    await assertInventoryInvariant(db.pool, putIn);
  }

  test('when the database goes away in the middle of a burst of orders, then every order is answered once and nothing is oversold', async () => {
    await burstWithOutage('through-database-outage', postgresProxy);
  });

  test('when the broker connection drops in the middle of a burst of orders, then every order is answered once and nothing is oversold', async () => {
    await burstWithOutage('through-broker-outage', rabbitProxy);
  });
});
