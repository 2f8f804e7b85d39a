import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createPool, migrate, type Pool } from '@shop/postgres';
import { createTestDatabase, type TestDatabase } from '@shop/testkit';
import { migrations } from '../src/db/migrations';
import { findOrder } from '../src/db/orders';

// Orders cancelled before migration 3 have their canceller only in the history's reason.
describe('migration 3: who cancelled an order', () => {
  let database: TestDatabase;
  let pool: Pool;

  before(async () => {
    database = await createTestDatabase('orders_migrations');
    pool = createPool(database.url);
    await migrate(
      pool,
      migrations.filter((migration) => migration.version < 3),
    );
  });

  after(async () => {
    await pool.end();
    await database.drop();
  });

  async function orderMovedTo(status: string, reason: string, at: string): Promise<string> {
    const id = randomUUID();
    await pool.query(`INSERT INTO orders (id, user_id, status, total) VALUES ($1, 'u-1', $2, 0)`, [
      id,
      status,
    ]);
    await pool.query(
      `INSERT INTO order_status_history (order_id, from_status, to_status, reason, at)
       VALUES ($1, NULL, 'PENDING', 'placed', $3::timestamptz - interval '1 minute'),
              ($1, 'PENDING', $2, $4, $3)`,
      [id, status, at, reason],
    );
    return id;
  }

  test('when orders were cancelled before it, then each shows its canceller, reason and time from the history', async () => {
    const at = '2026-01-02T03:04:05.000Z';
    const byOwner = await orderMovedTo('CANCELLED', 'cancelled by its owner', at);
    const byAdmin = await orderMovedTo('CANCELLED', 'cancelled by an admin', at);
    const expired = await orderMovedTo('CANCELLED', 'inventory did not answer in time', at);
    const confirmed = await orderMovedTo('CONFIRMED', 'stock reserved', at);

    await migrate(pool, migrations);

    assert.deepEqual((await findOrder(pool, byOwner))?.cancellation, {
      reason: 'cancelled by its owner',
      by: 'customer',
      at,
    });
    assert.deepEqual((await findOrder(pool, byAdmin))?.cancellation, {
      reason: 'cancelled by an admin',
      by: 'admin',
      at,
    });
    assert.deepEqual((await findOrder(pool, expired))?.cancellation, {
      reason: 'inventory did not answer in time',
      by: 'system',
      at,
    });
    assert.equal((await findOrder(pool, confirmed))?.cancellation, undefined);
  });
});
