import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  brokerNamespace,
  call,
  createTestDatabase,
  testServers,
  whileServiceRuns,
} from '@shop/testkit';
import { ensureAdmin } from '../src/use-cases/ensure-admin';
import { logger, newCustomer, sessionIdOf, testSettings, useUserService } from './support';

const settings = testSettings();

const users = useUserService(() => ({ settings }));

const bootstrap = (email: string, password: string) =>
  ensureAdmin(
    { pool: users.database.pool, settings, logger, revocations: users.service.revoked.revocations },
    { email, password },
  );

const logIn = (email: string, password: string) =>
  users.service.http.post('/users/login', { email, password });

describe('the admin from ADMIN_EMAIL and ADMIN_PASSWORD', () => {
  test('when it does not exist, then it is created as admin and can log in', async () => {
    const { email } = newCustomer();
    await bootstrap(` ${email.toUpperCase()} `, 'Admin-Secret-1');
    const login = await logIn(email, 'Admin-Secret-1');
    assert.equal(login.status, 200);
    assert.equal(login.body.user.role, 'admin');
    assert.equal(login.body.user.email, email);
  });

  test('when started again with the same values, then nothing changes and sessions live on', async () => {
    const { email } = newCustomer();
    await bootstrap(email, 'Admin-Secret-1');
    const session = (await logIn(email, 'Admin-Secret-1')).body;
    const before = await users.database.pool.query(
      'SELECT updated_at FROM users WHERE email = $1',
      [email],
    );
    await Promise.all([bootstrap(email, 'Admin-Secret-1'), bootstrap(email, 'Admin-Secret-1')]);
    const after = await users.database.pool.query('SELECT updated_at FROM users WHERE email = $1', [
      email,
    ]);
    assert.deepEqual(after.rows, before.rows);
    const renewed = await users.service.http.post('/users/refresh', {
      refreshToken: session.refreshToken,
    });
    assert.equal(renewed.status, 200);
  });

  test('when the password changes, then only the new one works and old sessions end', async () => {
    const { email } = newCustomer();
    await bootstrap(email, 'Admin-Secret-1');
    const session = (await logIn(email, 'Admin-Secret-1')).body;
    await bootstrap(email, 'Admin-Secret-2');
    assert.equal((await logIn(email, 'Admin-Secret-1')).status, 401);
    assert.equal((await logIn(email, 'Admin-Secret-2')).status, 200);
    const refreshed = await users.service.http.post('/users/refresh', {
      refreshToken: session.refreshToken,
    });
    assert.equal(refreshed.status, 401);
    const sessionId = sessionIdOf(session.accessToken);
    assert.ok(
      await users.service.revoked.revokedFor(sessionId),
      'its access tokens are refused too',
    );
  });

  test('when the email belongs to a customer, then that account becomes the admin', async () => {
    const customer = newCustomer();
    const registered = await users.service.http.post('/users/register', customer);
    await bootstrap(customer.email, 'Admin-Secret-3');
    const login = await logIn(customer.email, 'Admin-Secret-3');
    assert.equal(login.body.user.id, registered.body.id);
    assert.equal(login.body.user.role, 'admin');
    const { rows } = await users.database.pool.query(
      'SELECT count(*)::int AS n FROM users WHERE email = $1',
      [customer.email],
    );
    assert.equal(rows[0].n, 1);
  });

  test('when the password breaks the policy, then it refuses to start with the reason', async () => {
    await assert.rejects(bootstrap(newCustomer().email, 'password'), /ADMIN_PASSWORD is too weak/);
  });
});

test('when the service process starts with ADMIN_EMAIL and ADMIN_PASSWORD, then that admin can log in', async () => {
  const processDatabase = await createTestDatabase('users_boot');
  // Its exchanges in a namespace of its own, not production's on the shared broker.
  const broker = brokerNamespace('users_boot');
  const { email } = newCustomer();
  const main = path.resolve(__dirname, '..', 'src', 'main.ts');
  const env = {
    DATABASE_URL: processDatabase.url,
    ORDER_SERVICE_URL: 'http://127.0.0.1:9',
    RABBITMQ_URL: testServers.rabbitmqUrl,
    RABBITMQ_NAMESPACE: broker.namespace,
    REDIS_URL: testServers.redisUrl,
    ADMIN_EMAIL: email,
    ADMIN_PASSWORD: 'Boot-Admin-Secret-1',
  };
  try {
    const { code } = await whileServiceRuns(
      main,
      env,
      async ({ url }) => {
        const login = await call(url, 'POST', '/users/login', {
          body: { email, password: 'Boot-Admin-Secret-1' },
        });
        assert.equal(login.status, 200);
        assert.equal(login.body.user.role, 'admin');
      },
      { listenMs: 25_000, lifetimeMs: 30_000 },
    );
    assert.equal(code, 0);
  } finally {
    await processDatabase.drop();
    await broker.delete();
  }
});
