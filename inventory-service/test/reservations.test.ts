import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { withTransaction } from '@shop/postgres';
import { createStock, markDeleted, restock } from '../src/db/stock';
import { StockNotYetKnown } from '../src/domain/reservation';
import { releaseOrder } from '../src/use-cases/release-order';
import { reserveOrder } from '../src/use-cases/reserve-orders';
import { assertInventoryInvariant } from './invariant';
import {
  orderCreated,
  outcomeOf,
  startInventoryDatabase,
  stockOf,
  type InventoryDatabase,
} from './support';

/**
 * Runs `work` over `items` with `workers` transactions in flight at once, as a consumer's prefetch
 * would; more at once would only queue for a pooled connection.
 */
async function inParallel<T, R>(items: T[], workers: number, work: (item: T) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

// The reservation logic called directly with a transaction, the way the consumer calls it.
describe('reserving and releasing stock in Postgres', () => {
  let db: InventoryDatabase;
  const putIn: Record<string, number> = {};

  const addProduct = async (productId: string, initialStock: number) => {
    await withTransaction(db.pool, (tx) => createStock(tx, productId, initialStock));
    putIn[productId] = initialStock;
  };
  const reserve = (order: ReturnType<typeof orderCreated>) =>
    withTransaction(db.pool, (tx) => reserveOrder(tx, order));
  const cancel = (orderId: string) =>
    withTransaction(db.pool, (tx) => releaseOrder(tx, { orderId, userId: 'user-1' }));

  before(async () => {
    db = await startInventoryDatabase();
  });
  after(() => db.close());

  test('when 300 orders race for 50 units, then exactly 50 are reserved and none waits on a deadlock', async () => {
    await addProduct('race', 50);
    const orders = Array.from({ length: 300 }, () =>
      orderCreated([{ productId: 'race', quantity: 1 }]),
    );
    const results = await inParallel(orders, 16, reserve);
    assert.equal(results.filter((r) => r.result === 'reserved').length, 50);
    assert.equal(results.filter((r) => r.result === 'rejected').length, 250);
    assert.deepEqual(
      results.flatMap((r) => r.stockOuts),
      ['race'],
      'the product ran out exactly once',
    );
    assert.deepEqual(await stockOf(db.pool, 'race'), { available: 0, reserved: 50 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when orders over overlapping products in opposite line order race, then none deadlocks', async () => {
    await addProduct('left', 40);
    await addProduct('right', 40);
    const orders = Array.from({ length: 60 }, (_, i) =>
      orderCreated(
        i % 2 === 0
          ? [
              { productId: 'left', quantity: 1 },
              { productId: 'right', quantity: 1 },
            ]
          : [
              { productId: 'right', quantity: 1 },
              { productId: 'left', quantity: 1 },
            ],
      ),
    );
    const results = await inParallel(orders, 16, reserve);
    assert.equal(results.filter((r) => r.result === 'reserved').length, 40);
    assert.deepEqual(await stockOf(db.pool, 'left'), { available: 0, reserved: 40 });
    assert.deepEqual(await stockOf(db.pool, 'right'), { available: 0, reserved: 40 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when one line of an order is short, then no line is reserved', async () => {
    await addProduct('plenty', 10);
    await addProduct('scarce', 1);
    const order = orderCreated([
      { productId: 'plenty', quantity: 3 },
      { productId: 'scarce', quantity: 2 },
    ]);
    assert.equal((await reserve(order)).result, 'rejected');
    assert.deepEqual(await stockOf(db.pool, 'plenty'), { available: 10, reserved: 0 });
    assert.deepEqual(await stockOf(db.pool, 'scarce'), { available: 1, reserved: 0 });
    assert.deepEqual(await outcomeOf(db.pool, order.orderId), {
      outcome: 'rejected',
      reason: 'insufficient stock',
    });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when an order names a product with no stock yet, then it throws StockNotYetKnown, writes nothing, and is reserved once the product arrives', async () => {
    await addProduct('in-catalog', 5);
    const order = orderCreated([
      { productId: 'in-catalog', quantity: 2 },
      { productId: 'just-created', quantity: 1 },
    ]);
    await assert.rejects(reserve(order), (error: unknown) => {
      assert.ok(error instanceof StockNotYetKnown);
      assert.deepEqual(error.productIds, ['just-created']);
      return true;
    });
    assert.equal(await outcomeOf(db.pool, order.orderId), undefined, 'the order is not answered');
    assert.deepEqual(await stockOf(db.pool, 'in-catalog'), { available: 5, reserved: 0 });
    const { rows: written } = await db.pool.query(
      `SELECT 'outbox' AS what FROM outbox WHERE envelope->'data'->>'orderId' = $1
       UNION ALL SELECT 'ledger' FROM stock_ledger WHERE order_id = $1
       UNION ALL SELECT 'reservation' FROM reservations WHERE order_id = $1`,
      [order.orderId],
    );
    assert.deepEqual(written, [], 'no answer, movement or reservation is left behind');

    await addProduct('just-created', 1);
    assert.equal((await reserve(order)).result, 'reserved');
    assert.deepEqual(await stockOf(db.pool, 'just-created'), { available: 0, reserved: 1 });
    assert.deepEqual(await stockOf(db.pool, 'in-catalog'), { available: 3, reserved: 2 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when the same order arrives twice, then it is reserved once', async () => {
    await addProduct('twice', 5);
    const order = orderCreated([{ productId: 'twice', quantity: 2 }]);
    assert.equal((await reserve(order)).result, 'reserved');
    assert.equal((await reserve(order)).result, 'ignored');
    assert.deepEqual(await stockOf(db.pool, 'twice'), { available: 3, reserved: 2 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when an order is cancelled twice after its reservation, then its stock comes back once', async () => {
    await addProduct('returned', 5);
    const order = orderCreated([{ productId: 'returned', quantity: 4 }]);
    await reserve(order);
    assert.equal(await cancel(order.orderId), 'released');
    assert.equal(await cancel(order.orderId), 'ignored');
    assert.deepEqual(await stockOf(db.pool, 'returned'), { available: 5, reserved: 0 });
    assert.equal((await outcomeOf(db.pool, order.orderId))?.outcome, 'released');
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when the cancel overtakes its order, then the order reserves nothing and is answered once', async () => {
    await addProduct('overtaken', 5);
    const order = orderCreated([{ productId: 'overtaken', quantity: 1 }]);
    assert.equal(await cancel(order.orderId), 'remembered');
    assert.equal((await reserve(order)).result, 'rejected');
    assert.equal((await reserve(order)).result, 'ignored');
    assert.deepEqual(await stockOf(db.pool, 'overtaken'), { available: 5, reserved: 0 });
    assert.deepEqual(await outcomeOf(db.pool, order.orderId), {
      outcome: 'rejected',
      reason: 'order cancelled',
    });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when orders and their cancels race, then every order ends released or answered as cancelled, holding nothing', async () => {
    await addProduct('contested', 100);
    const orders = Array.from({ length: 40 }, () =>
      orderCreated([{ productId: 'contested', quantity: 2 }]),
    );
    await inParallel(orders, 8, (order) => Promise.all([reserve(order), cancel(order.orderId)]));

    for (const order of orders) {
      const outcome = await outcomeOf(db.pool, order.orderId);
      assert.ok(
        outcome?.outcome === 'released' ||
          (outcome?.outcome === 'rejected' && outcome.reason === 'order cancelled'),
        `${order.orderId}: ${JSON.stringify(outcome)}`,
      );
    }
    assert.deepEqual(await stockOf(db.pool, 'contested'), { available: 100, reserved: 0 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when a product is created twice, then its stock is set and recorded once', async () => {
    await addProduct('created-once', 3);
    assert.equal(await withTransaction(db.pool, (tx) => createStock(tx, 'created-once', 8)), false);
    assert.deepEqual(await stockOf(db.pool, 'created-once'), { available: 3, reserved: 0 });
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when a product is deleted, then its available stock is written off and it is never reserved again', async () => {
    await addProduct('retired', 6);
    const held = orderCreated([{ productId: 'retired', quantity: 2 }]);
    await reserve(held);
    assert.equal(await withTransaction(db.pool, (tx) => markDeleted(tx, 'retired')), true);
    assert.equal(await withTransaction(db.pool, (tx) => markDeleted(tx, 'retired')), false);
    assert.deepEqual(await stockOf(db.pool, 'retired'), { available: 0, reserved: 2 });

    const late = orderCreated([{ productId: 'retired', quantity: 1 }]);
    assert.equal((await reserve(late)).result, 'rejected');
    await cancel(held.orderId);
    assert.deepEqual(
      await stockOf(db.pool, 'retired'),
      { available: 0, reserved: 0 },
      'units released to a deleted product are written off too',
    );
    const restocked = await withTransaction(db.pool, (tx) => restock(tx, 'retired', 3, 'admin-1'));
    assert.deepEqual(restocked, { deleted: true });
    putIn.retired = 0;
    await assertInventoryInvariant(db.pool, putIn);
  });

  test('when a product is deleted before it was created, then the late create does not revive it', async () => {
    await withTransaction(db.pool, (tx) => markDeleted(tx, 'ghost'));
    assert.equal(await withTransaction(db.pool, (tx) => createStock(tx, 'ghost', 9)), false);
    assert.deepEqual(await stockOf(db.pool, 'ghost'), { available: 0, reserved: 0 });
    await assertInventoryInvariant(db.pool, { ghost: 0 });
  });
});
