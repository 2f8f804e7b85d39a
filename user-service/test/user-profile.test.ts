import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { tokenFor } from '@shop/testkit';
import type { OrderServiceClient } from '../src/clients/order-service';
import {
  createUserDatabase,
  orderServiceAt,
  signedInCustomer,
  startStubServer,
  startUserService,
  unusedPort,
  type RunningUserService,
  type StubServer,
  type UserDatabase,
} from './support';

const ORDERS_TIMEOUT_MS = 500;

let database: UserDatabase;
let orderService: StubServer;
let service: RunningUserService;
let orders: OrderServiceClient;
const ordersByUser = new Map<string, unknown[]>();

before(async () => {
  database = await createUserDatabase();
  orderService = await startStubServer((req, answer) => {
    const userId = /^\/orders\/user\/([^/?]+)/.exec(req.url ?? '')?.[1] ?? '';
    answer(200, { items: ordersByUser.get(userId) ?? [], page: 1, limit: 20, total: 0 });
  });
  orders = orderServiceAt(orderService.url, ORDERS_TIMEOUT_MS);
  service = await startUserService(database.pool, { orders });
});
after(async () => {
  await service.close();
  orders.shutdown();
  await orderService.close();
  await database.close();
});

describe('who may read GET /users/:id', () => {
  test('when a user reads themself, then 200 with their orders from order-service', async () => {
    const { session } = await signedInCustomer(service.http);
    const order = { id: randomUUID(), userId: session.user.id, status: 'CONFIRMED', total: 1999 };
    ordersByUser.set(session.user.id, [order]);

    const res = await service.http.get(`/users/${session.user.id}`, {
      token: session.accessToken,
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ...session.user, orders: [order], ordersUnavailable: false });

    const upstream = orderService.requests.at(-1)!;
    assert.equal(
      upstream.url,
      `/orders/user/${session.user.id}?limit=100`,
      'the latest 100, not the default page',
    );
    assert.equal(upstream.headers.authorization, `Bearer ${session.accessToken}`);
    assert.ok(upstream.headers['x-request-id'], 'the request id travels along');
  });

  test('when a user reads another user, then 404 exactly like a missing user', async () => {
    const reader = await signedInCustomer(service.http);
    const other = await signedInCustomer(service.http);
    const theirs = await service.http.get(`/users/${other.session.user.id}`, {
      token: reader.session.accessToken,
    });
    const missing = await service.http.get(`/users/${randomUUID()}`, {
      token: reader.session.accessToken,
    });
    assert.equal(theirs.status, 404);
    assert.equal(missing.status, 404);
    assert.equal(theirs.body.detail, missing.body.detail);
  });

  test('when an admin reads any user, then 200 with that user and their orders', async () => {
    const { session } = await signedInCustomer(service.http);
    ordersByUser.set(session.user.id, [{ id: 'o-1', total: 500 }]);
    const admin = tokenFor({ userId: randomUUID(), role: 'admin' });
    const res = await service.http.get(`/users/${session.user.id}`, { token: admin });
    assert.equal(res.status, 200);
    assert.equal(res.body.email, session.user.email);
    assert.deepEqual(res.body.orders, [{ id: 'o-1', total: 500 }]);
    assert.equal(orderService.requests.at(-1)!.headers.authorization, `Bearer ${admin}`);
  });

  test('when an admin asks for an id that does not exist or is not a uuid, then 404', async () => {
    const admin = tokenFor({ userId: randomUUID(), role: 'admin' });
    assert.equal((await service.http.get(`/users/${randomUUID()}`, { token: admin })).status, 404);
    assert.equal((await service.http.get('/users/not-a-uuid', { token: admin })).status, 404);
  });

  test('when nobody is signed in, then 401', async () => {
    assert.equal((await service.http.get(`/users/${randomUUID()}`)).status, 401);
  });
});

describe('GET /users/:id when order-service fails', () => {
  async function profileThrough(orderServiceUrl: string) {
    const orders = orderServiceAt(orderServiceUrl, ORDERS_TIMEOUT_MS);
    const degraded = await startUserService(database.pool, { orders });
    try {
      const { session } = await signedInCustomer(degraded.http);
      const started = performance.now();
      const res = await degraded.http.get(`/users/${session.user.id}`, {
        token: session.accessToken,
      });
      return { res, elapsedMs: performance.now() - started, user: session.user };
    } finally {
      await degraded.close();
      orders.shutdown();
    }
  }

  test('when nothing listens at its address, then 200 with no orders and ordersUnavailable, quickly', async () => {
    const { res, elapsedMs, user } = await profileThrough(`http://127.0.0.1:${await unusedPort()}`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ...user, orders: [], ordersUnavailable: true });
    assert.ok(elapsedMs < 2 * ORDERS_TIMEOUT_MS, `answered in ${elapsedMs} ms`);
  });

  test('when it never answers, then 200 with ordersUnavailable within twice the timeout', async () => {
    const silent = await startStubServer(() => undefined);
    try {
      const { res, elapsedMs } = await profileThrough(silent.url);
      assert.equal(res.status, 200);
      assert.equal(res.body.ordersUnavailable, true);
      assert.deepEqual(res.body.orders, []);
      assert.ok(elapsedMs >= ORDERS_TIMEOUT_MS, 'it did wait for the timeout');
      assert.ok(elapsedMs < 2 * ORDERS_TIMEOUT_MS, `answered in ${elapsedMs} ms`);
    } finally {
      await silent.close();
    }
  });

  test('when it answers 500 or an unexpected body, then 200 with ordersUnavailable', async () => {
    for (const [status, body] of [
      [500, { title: 'boom' }],
      [200, { unexpected: true }],
    ] as const) {
      const broken = await startStubServer((_req, answer) => answer(status, body));
      try {
        const { res } = await profileThrough(broken.url);
        assert.equal(res.status, 200);
        assert.equal(res.body.ordersUnavailable, true, `${status} ${JSON.stringify(body)}`);
      } finally {
        await broken.close();
      }
    }
  });
});
