import assert from 'node:assert/strict';
import path from 'node:path';
import { after, test } from 'node:test';
import { createPool } from '@shop/postgres';
import {
  brokerNamespace,
  call,
  createTestDatabase,
  startServiceProcess,
  testServers,
  uniqueName,
} from '@shop/testkit';

// Two replicas of user-service started at the same moment on a fresh database, both told to make
// ADMIN_EMAIL the admin, as `npm start -- --replicas 2` and a scaled Deployment do. Both also
// race to create the database and to migrate it.
const broker = brokerNamespace('user_replicas');
const { namespace } = broker;
const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function replicaUrl(databaseUrl: string, admin: { email: string; password: string }) {
  const replica = await startServiceProcess(
    path.resolve(__dirname, '..', 'src', 'main.ts'),
    {
      DATABASE_URL: databaseUrl,
      ORDER_SERVICE_URL: 'http://127.0.0.1:9',
      RABBITMQ_URL: testServers.rabbitmqUrl,
      RABBITMQ_NAMESPACE: namespace,
      REDIS_URL: testServers.redisUrl,
      REVOKED_SESSION_PREFIX: `${namespace}:revoked-session:`,
      ADMIN_EMAIL: admin.email,
      ADMIN_PASSWORD: admin.password,
    },
    { listenMs: 60_000, lifetimeMs: 180_000 },
  );
  cleanups.push(replica.stop);
  return replica.url;
}

test('when two replicas start at once and both create the admin, then exactly one admin exists and it can log in on either', async () => {
  const database = await createTestDatabase('users_replicas');
  // The database is dropped again, so the replicas find none and create it themselves.
  await database.drop();
  cleanups.push(() => database.drop());
  cleanups.push(() => broker.delete());
  const admin = { email: `${uniqueName('admin')}@shop.test`, password: 'Replica-Admin-Secret-1' };

  const urls = await Promise.all([
    replicaUrl(database.url, admin),
    replicaUrl(database.url, admin),
  ]);

  const pool = createPool(database.url);
  cleanups.push(() => pool.end());
  const { rows } = await pool.query<{ email: string }>(
    `SELECT email FROM users WHERE role = 'admin'`,
  );
  assert.deepEqual(
    rows.map((row) => row.email),
    [admin.email],
  );
  for (const url of urls) {
    const login = await call(url, 'POST', '/users/login', { body: admin });
    assert.equal(login.status, 200, login.text);
    assert.equal(login.body.user.role, 'admin');
  }
});
