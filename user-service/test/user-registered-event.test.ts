import type { ShopEventData } from '@shop/contracts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startConsumer, type EventEnvelope } from '@shop/messaging';
import { createMetricsRegistry } from '@shop/service-kit';
import { waitFor } from '@shop/testkit';
import { logger, newCustomer, useUserService } from './support';

const users = useUserService();
const metrics = createMetricsRegistry('user-service');

test('when a customer registers, then USER_REGISTERED is in the outbox, written by the same transaction as the account', async () => {
  const customer = newCustomer();
  const res = await users.service.http.post('/users/register', customer, {
    headers: { 'x-request-id': 'signup-42' },
  });
  assert.equal(res.status, 201);

  const { rows } = await users.database.pool.query(
    `SELECT o.envelope, o.xmin::text AS outbox_tx, u.xmin::text AS user_tx
       FROM outbox o JOIN users u ON u.id::text = o.envelope->'data'->>'userId'
      WHERE u.id = $1`,
    [res.body.id],
  );
  assert.equal(rows.length, 1);
  assert.equal(rows[0].outbox_tx, rows[0].user_tx, 'one transaction wrote both rows');
  assert.equal(rows[0].envelope.eventType, 'USER_REGISTERED');
  assert.equal(rows[0].envelope.correlationId, 'signup-42');
  assert.deepEqual(rows[0].envelope.data, { userId: res.body.id, email: customer.email });
});

test('when duplicate registrations race, then only the one account that exists has an event', async () => {
  const customer = newCustomer();
  await Promise.all(
    Array.from({ length: 10 }, () => users.service.http.post('/users/register', customer)),
  );
  const { rows } = await users.database.pool.query(
    `SELECT count(*)::int AS n FROM outbox
      WHERE event_type = 'USER_REGISTERED' AND envelope->'data'->>'email' = $1`,
    [customer.email],
  );
  assert.equal(rows[0].n, 1);
});

test("when the service's relay runs, then USER_REGISTERED reaches a queue bound to users/user.registered", async () => {
  const received: EventEnvelope<ShopEventData<'USER_REGISTERED'>>[] = [];
  // The test's own connection, in the service's namespace, for a probe queue.
  const rabbit = users.service.broker.connect({ logger, metrics }, { reconnectDelayMs: 50 });
  const consumer = startConsumer({
    rabbit,
    pool: users.database.pool,
    logger,
    metrics,
    queue: users.service.broker.queue('user-events-probe'),
    events: ['USER_REGISTERED'],
    handlers: { USER_REGISTERED: async (event) => void received.push(event) },
  });
  try {
    await consumer.waitUntilConsuming();
    const customer = newCustomer();
    const res = await users.service.http.post('/users/register', customer);
    const event = await waitFor(
      () => received.find((candidate) => candidate.data.userId === res.body.id),
      { what: 'USER_REGISTERED for the new customer' },
    );
    assert.deepEqual(event.data, { userId: res.body.id, email: customer.email });
    assert.equal(event.eventType, 'USER_REGISTERED');
    assert.equal(event.correlationId, res.headers.get('x-request-id'));
  } finally {
    await consumer.stop();
    await rabbit.close();
  }
});
