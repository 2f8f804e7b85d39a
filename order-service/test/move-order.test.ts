import { shopEvents } from '@shop/contracts';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { outboxInsert } from '@shop/messaging';
import type { PoolClient } from '@shop/postgres';
import { createOutboxTestDatabase, useSuite, waitFor } from '@shop/testkit';
import { migrations } from '../src/db/migrations';
import { insertOrder, ORDER_EVENTS_FIRST_PARAM } from '../src/db/orders';
import { moveOrder } from '../src/use-cases/move-order';
import { statusHistory } from './support';

// Two transactions racing on one order, with the first held open so the second must wait on the
// row: this is the case the `WHERE status = $from` guard and the re-read exist for.
describe('moveOrder under concurrent transactions', () => {
  const database = useSuite(
    () => createOutboxTestDatabase('orders_move', { migrations }),
    (running) => running.close(),
  );

  async function pendingOrder(): Promise<string> {
    const id = randomUUID();
    await insertOrder(
      database.pool,
      {
        id,
        userId: 'u-1',
        lines: [{ productId: 'p-1', name: 'Mug', quantity: 1, unitPrice: 100, lineTotal: 100 }],
        total: 100,
      },
      // The guarded moves are under test, not the saga: no ORDER_CREATED.
      outboxInsert(shopEvents, [], ORDER_EVENTS_FIRST_PARAM),
    );
    return id;
  }

  /** Resolves once `client` is blocked on a row lock, i.e. its guarded UPDATE is waiting. */
  async function blockedOnLock(client: PoolClient): Promise<void> {
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const pid = rows[0]!.pid;
    return waitFor(
      async () => {
        const activity = await database.pool.query(
          "SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'",
          [pid],
        );
        return activity.rowCount === 1 || undefined;
      },
      { what: 'the second transaction to wait on the order row' },
    ).then(() => undefined);
  }

  async function begin(): Promise<PoolClient> {
    const client = await database.pool.connect();
    await client.query('BEGIN');
    return client;
  }

  test('when a cancel waits on a confirmation that commits, then it re-reads and cancels the CONFIRMED order', async () => {
    const orderId = await pendingOrder();
    const confirming = await begin();
    const cancelling = await begin();
    try {
      const confirmed = await moveOrder(confirming, { orderId, to: 'CONFIRMED', reason: 'r' });
      assert.equal(confirmed.kind, 'moved');
      const cancelBlocked = blockedOnLock(cancelling);
      const cancel = moveOrder(cancelling, {
        orderId,
        to: 'CANCELLED',
        reason: 'c',
        cancelledBy: 'customer',
      });
      await cancelBlocked;
      await confirming.query('COMMIT');
      const cancelled = await cancel;
      await cancelling.query('COMMIT');

      assert.equal(cancelled.kind, 'moved');
      assert.equal(cancelled.kind === 'moved' && cancelled.from, 'CONFIRMED');
      assert.deepEqual(
        (await statusHistory(database.pool, orderId)).map((row) => `${row.from}->${row.to}`),
        ['null->PENDING', 'PENDING->CONFIRMED', 'CONFIRMED->CANCELLED'],
      );
    } finally {
      confirming.release();
      cancelling.release();
    }
  });

  test('when a confirmation waits on a cancel that commits, then it is refused and the order stays CANCELLED', async () => {
    const orderId = await pendingOrder();
    const cancelling = await begin();
    const confirming = await begin();
    try {
      assert.equal(
        (
          await moveOrder(cancelling, {
            orderId,
            to: 'CANCELLED',
            reason: 'c',
            cancelledBy: 'customer',
          })
        ).kind,
        'moved',
      );
      const confirmBlocked = blockedOnLock(confirming);
      const confirm = moveOrder(confirming, { orderId, to: 'CONFIRMED', reason: 'r' });
      await confirmBlocked;
      await cancelling.query('COMMIT');
      const refused = await confirm;
      await confirming.query('COMMIT');

      assert.equal(refused.kind, 'refused');
      assert.equal(refused.kind === 'refused' && refused.order.status, 'CANCELLED');
      const { rows } = await database.pool.query('SELECT status FROM orders WHERE id = $1', [
        orderId,
      ]);
      assert.equal(rows[0].status, 'CANCELLED');
      assert.deepEqual(
        (await statusHistory(database.pool, orderId)).map((row) => row.to),
        ['PENDING', 'CANCELLED'],
      );
    } finally {
      cancelling.release();
      confirming.release();
    }
  });

  test('when a move is not in the table, then nothing is written', async () => {
    const orderId = await pendingOrder();
    await moveOrder(database.pool, { orderId, to: 'REJECTED', reason: 'short' });
    const again = await moveOrder(database.pool, { orderId, to: 'CONFIRMED', reason: 'late' });
    assert.equal(again.kind, 'refused');
    assert.deepEqual(
      (await statusHistory(database.pool, orderId)).map((row) => row.to),
      ['PENDING', 'REJECTED'],
    );
  });
});
