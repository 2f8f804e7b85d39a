import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTransaction } from '@shop/postgres';
import { clientFor, startTestServer, tokenFor } from '@shop/testkit';
import { createStock, markDeleted } from '../src/db/stock';
import { reserveOrder } from '../src/use-cases/reserve-orders';
import { assertInventoryInvariant } from './invariant';
import {
  orderCreated,
  startInventoryDatabase,
  startInventoryUnderTest,
  type InventoryDatabase,
} from './support';

// Product ids are 24 lower-case hex digits; these sort in the order the listing test expects.
const COUNTED = 'c0000000000000000000000c';
const DISCONTINUED = 'd0000000000000000000000d';
const NOT_IN_CATALOG = 'e1000000000000000000000e';
const NOTHING_HERE = 'e2000000000000000000000e';
const SHOWN = 'f0000000000000000000000f';

describe('inventory HTTP API', () => {
  let db: InventoryDatabase;
  let inventory: Awaited<ReturnType<typeof startInventoryUnderTest>>;
  let server: Awaited<ReturnType<typeof startTestServer>>;
  let api: ReturnType<typeof clientFor>;
  const admin = tokenFor({ userId: 'admin-7', role: 'admin' });
  const customer = tokenFor({ userId: 'customer-1', role: 'customer' });

  before(async () => {
    db = await startInventoryDatabase();
    inventory = await startInventoryUnderTest({ pool: db.pool });
    server = await startTestServer(inventory.service.app);
    api = clientFor(server.url);
  });
  after(async () => {
    await server.close();
    await inventory.stop();
    await db.close();
  });

  test('when a user asks for a product stock, then they get available and reserved', async () => {
    await withTransaction(db.pool, (tx) => createStock(tx, SHOWN, 8));
    await withTransaction(db.pool, (tx) =>
      reserveOrder(tx, orderCreated([{ productId: SHOWN, quantity: 3 }])),
    );
    const { status, body } = await api.get(`/inventory/${SHOWN}`, { token: customer });
    assert.equal(status, 200);
    assert.deepEqual(body, { productId: SHOWN, available: 5, reserved: 3, deleted: false });
  });

  test('when the product has no stock row, then the answer is a 404 problem', async () => {
    const { status, headers, body } = await api.get(`/inventory/${NOTHING_HERE}`, {
      token: customer,
    });
    assert.equal(status, 404);
    assert.match(headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(body.type, '/problems/not-found');
  });

  test('when the product id is not 24 lower-case hex digits, then 400 on the path, never a 500', async () => {
    await withTransaction(db.pool, (tx) => createStock(tx, 'fa1b2c3d4e5f6a1b2c3d4e5f', 2));
    for (const id of [
      'FA1B2C3D4E5F6A1B2C3D4E5F',
      'nul%00here',
      '%00',
      'fa1b2c3d4e5f6a1b2c3d4e5%00',
    ]) {
      const read = await api.get(`/inventory/${id}`, { token: customer });
      assert.equal(read.status, 400, id);
      assert.equal(read.body.errors[0].path, 'productId', id);
      const restock = await api.put(`/inventory/${id}`, { available: 9 }, { token: admin });
      assert.equal(restock.status, 400, id);
    }
    const { body } = await api.get('/inventory/fa1b2c3d4e5f6a1b2c3d4e5f', { token: customer });
    assert.equal(body.available, 2, 'no other spelling restocked it');
  });

  test('when there is no token, then stock is not shown', async () => {
    const { status } = await api.get(`/inventory/${SHOWN}`);
    assert.equal(status, 401);
  });

  test('when an admin restocks, then available is set, reserved is untouched and the ledger names the admin', async () => {
    await withTransaction(db.pool, (tx) => createStock(tx, COUNTED, 10));
    await withTransaction(db.pool, (tx) =>
      reserveOrder(tx, orderCreated([{ productId: COUNTED, quantity: 4 }])),
    );
    const first = await api.put(`/inventory/${COUNTED}`, { available: 20 }, { token: admin });
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, {
      productId: COUNTED,
      available: 20,
      reserved: 4,
      deleted: false,
    });
    const second = await api.put(`/inventory/${COUNTED}`, { available: 2 }, { token: admin });
    assert.equal(second.body.available, 2);

    const ledger = await api.get(`/inventory/${COUNTED}/ledger`, { token: admin });
    assert.equal(ledger.status, 200);
    assert.equal(ledger.body.total, 4);
    assert.deepEqual(
      ledger.body.items.map((entry: Record<string, unknown>) => [
        entry.reason,
        entry.deltaAvailable,
        entry.deltaReserved,
        entry.actorId,
      ]),
      [
        ['initial', 10, 0, null],
        ['reserve', -4, 4, null],
        ['restock', 14, 0, 'admin-7'],
        ['restock', -18, 0, 'admin-7'],
      ],
    );
    const page = await api.get(`/inventory/${COUNTED}/ledger?page=2&limit=3`, { token: admin });
    assert.deepEqual(
      { page: page.body.page, limit: page.body.limit, total: page.body.total },
      { page: 2, limit: 3, total: 4 },
    );
    assert.equal(page.body.items.length, 1);
    assert.equal(page.body.items[0].deltaAvailable, -18);
    await assertInventoryInvariant(db.pool, { [COUNTED]: 10 + 14 - 18 });
  });

  test('when an admin restocks a product inventory never heard of, then the answer is a 404 problem and no stock appears', async () => {
    const { status, headers, body } = await api.put(
      `/inventory/${NOT_IN_CATALOG}`,
      { available: 5 },
      { token: admin },
    );
    assert.equal(status, 404);
    assert.match(headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(body.type, '/problems/not-found');
    assert.match(body.detail, new RegExp(`no stock record for product ${NOT_IN_CATALOG} yet`));
    assert.match(body.detail, /created when the product is/);
    const { rows } = await db.pool.query(
      `SELECT 'stock' AS what FROM stock WHERE product_id = $1
       UNION ALL SELECT 'ledger' FROM stock_ledger WHERE product_id = $1`,
      [NOT_IN_CATALOG],
    );
    assert.deepEqual(rows, [], 'no phantom stock row or ledger entry');
    assert.equal((await api.get(`/inventory/${NOT_IN_CATALOG}`, { token: admin })).status, 404);
  });

  test('when a customer tries to restock, then it is forbidden and nothing changes', async () => {
    const { status } = await api.put(
      `/inventory/${SHOWN}`,
      { available: 999 },
      { token: customer },
    );
    assert.equal(status, 403);
    const { body } = await api.get(`/inventory/${SHOWN}`, { token: customer });
    assert.equal(body.available, 5);
  });

  test('when the restock body is not a non-negative integer, then the answer is a 400 naming the field', async () => {
    for (const bad of [{ available: -1 }, { available: 1.5 }, { available: '3' }, {}]) {
      const { status, body } = await api.put(`/inventory/${SHOWN}`, bad, { token: admin });
      assert.equal(status, 400, JSON.stringify(bad));
      assert.equal(body.errors[0].path, 'available');
    }
  });

  test('when an admin restocks a deleted product, then the answer is a 409', async () => {
    await withTransaction(db.pool, (tx) => createStock(tx, DISCONTINUED, 3));
    await withTransaction(db.pool, (tx) => markDeleted(tx, DISCONTINUED));
    const { status, body } = await api.put(
      `/inventory/${DISCONTINUED}`,
      { available: 4 },
      { token: admin },
    );
    assert.equal(status, 409);
    assert.equal(body.type, '/problems/conflict');
  });

  test('when an admin lists stock, then it is paginated by product id', async () => {
    const { status, body } = await api.get('/inventory?limit=2', { token: admin });
    assert.equal(status, 200);
    const { rows } = await db.pool.query<{ count: number }>(
      'SELECT count(*)::int AS count FROM stock',
    );
    assert.equal(body.total, rows[0]!.count);
    assert.equal(body.page, 1);
    assert.equal(body.limit, 2);
    assert.deepEqual(
      body.items.map((item: { productId: string }) => item.productId),
      [COUNTED, DISCONTINUED],
    );
  });

  test('when a customer lists stock or reads a ledger, then it is forbidden', async () => {
    assert.equal((await api.get('/inventory', { token: customer })).status, 403);
    assert.equal((await api.get(`/inventory/${SHOWN}/ledger`, { token: customer })).status, 403);
  });

  test('when the page query is malformed, then the answer is a 400', async () => {
    for (const query of ['limit=0', 'limit=101', 'page=abc']) {
      const { status } = await api.get(`/inventory?${query}`, { token: admin });
      assert.equal(status, 400, query);
    }
  });

  test('when Postgres and RabbitMQ answer, then the service is ready', async () => {
    const { status, body } = await api.get('/ready');
    assert.equal(status, 200);
    assert.deepEqual(body.checks, { postgres: 'up', rabbitmq: 'up' });
  });
});
