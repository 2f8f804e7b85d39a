import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { metricValue } from '@shop/testkit';
import {
  admin,
  countRows,
  customer,
  deadServiceUrl,
  GONE,
  MUG,
  NOPE,
  outboxEventsOf,
  postOrder,
  startHangingProductService,
  startOrderService,
  startStubProductService,
  stubProducts,
  TEA,
  YACHT,
  type OrderServiceUnderTest,
} from './support';
import { MAX_ORDER_TOTAL_CENTS } from '../src/domain/pricing';

const products = stubProducts(MUG, TEA, YACHT);

describe('orders API', () => {
  let catalog: Awaited<ReturnType<typeof startStubProductService>>;
  let service: OrderServiceUnderTest;

  before(async () => {
    catalog = await startStubProductService(products);
    service = await startOrderService({ productServiceUrl: catalog.url });
  });

  const ordersOf = (userId: string) =>
    countRows(service.pool, 'SELECT count(*) FROM orders WHERE user_id = $1', [userId]);

  after(async () => {
    await service.stop();
    await catalog.close();
  });

  test('when a customer places an order, then it is 201 PENDING, priced from the catalog, with ORDER_CREATED in the outbox', async () => {
    const alice = customer();
    const createdBefore = await metricValue(service.metrics, 'orders_created_total');
    const placed = await postOrder(service, alice.token, [
      { productId: MUG, quantity: 2 },
      { productId: TEA, quantity: 1 },
      { productId: MUG, quantity: 1 },
    ]);

    assert.equal(placed.status, 201, placed.text);
    assert.equal(placed.body.status, 'PENDING');
    assert.equal(placed.body.userId, alice.userId);
    assert.deepEqual(placed.body.items, [
      { productId: MUG, name: 'Mug', quantity: 3, unitPrice: 1299, lineTotal: 3897 },
      { productId: TEA, name: 'Tea', quantity: 1, unitPrice: 450, lineTotal: 450 },
    ]);
    assert.equal(placed.body.total, 4347);
    assert.equal(placed.body.rejectionReason, undefined);
    assert.ok(Date.parse(placed.body.createdAt));

    const { rows } = await service.pool.query(
      "SELECT envelope FROM outbox WHERE event_type = 'ORDER_CREATED' AND envelope->'data'->>'orderId' = $1",
      [placed.body.id],
    );
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0].envelope.data, {
      orderId: placed.body.id,
      userId: alice.userId,
      items: [
        { productId: MUG, quantity: 3, unitPrice: 1299 },
        { productId: TEA, quantity: 1, unitPrice: 450 },
      ],
      total: 4347,
    });
    assert.equal(rows[0].envelope.correlationId, placed.headers.get('x-request-id'));
    const pricingReads = catalog.requests.filter((url) => url.includes(TEA));
    assert.equal(pricingReads.length, 1, 'one bulk read prices every line');
    assert.equal(await metricValue(service.metrics, 'orders_created_total'), createdBefore + 1);
  });

  test('when a client sends X-User-Id, then it is ignored: the order belongs to the token', async () => {
    const alice = customer();
    const placed = await postOrder(service, alice.token, [{ productId: TEA, quantity: 1 }], {
      'X-User-Id': 'someone-else',
    });
    assert.equal(placed.status, 201);
    assert.equal(placed.body.userId, alice.userId);
  });

  test('when there is no valid token, then every route is 401', async () => {
    assert.equal((await service.http.get('/orders')).status, 401);
    const forged = await service.http.post(
      '/orders',
      { items: [{ productId: TEA, quantity: 1 }] },
      { headers: { authorization: 'Bearer not-a-token', 'X-User-Id': 'u1' } },
    );
    assert.equal(forged.status, 401);
  });

  const invalidBodies: [string, unknown][] = [
    ['no lines', { items: [] }],
    [
      '101 lines',
      { items: Array.from({ length: 101 }, (_, i) => ({ productId: `p-${i}`, quantity: 1 })) },
    ],
    ['quantity 0', { items: [{ productId: MUG, quantity: 0 }] }],
    ['quantity 1.5', { items: [{ productId: MUG, quantity: 1.5 }] }],
    ['quantity as a string', { items: [{ productId: MUG, quantity: '2' }] }],
    ['quantity over the cap', { items: [{ productId: MUG, quantity: 1001 }] }],
    [
      'duplicate lines summing over the cap',
      {
        items: [
          { productId: MUG, quantity: 600 },
          { productId: MUG, quantity: 600 },
        ],
      },
    ],
    ['an empty productId', { items: [{ productId: '', quantity: 1 }] }],
    ['no items at all', {}],
    ['bad JSON', '{"items": [ {"productId": "p-mug", '],
  ];
  for (const [what, body] of invalidBodies) {
    test(`when the body has ${what}, then it is 400 problem details and nothing is created`, async () => {
      const alice = customer();
      const response = await service.http.post('/orders', body, { token: alice.token });
      assert.equal(response.status, 400, response.text);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(response.body.status, 400);
      assert.equal(await ordersOf(alice.userId), 0);
    });
  }

  test('when a line names a product the catalog does not know, then it is 422 listing the unknown ids and nothing is created', async () => {
    const alice = customer();
    const response = await postOrder(service, alice.token, [
      { productId: MUG, quantity: 1 },
      { productId: NOPE, quantity: 1 },
      { productId: GONE, quantity: 2 },
    ]);
    assert.equal(response.status, 422, response.text);
    assert.deepEqual(response.body.unknownProductIds, [NOPE, GONE]);
    assert.equal(await ordersOf(alice.userId), 0);
  });

  test('when a line would cost more than one order may (2^53 - 1 cents times 3), then it is 422 naming the line, and nothing is stored or sent', async () => {
    const alice = customer();
    const response = await postOrder(
      service,
      alice.token,
      [
        { productId: MUG, quantity: 1 },
        { productId: YACHT, quantity: 3 },
      ],
      { 'Idempotency-Key': 'yacht-1' },
    );
    assert.equal(response.status, 422, response.text);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(response.body.productId, YACHT);
    assert.equal(response.body.maxTotal, MAX_ORDER_TOTAL_CENTS);
    assert.match(response.body.detail, new RegExp(YACHT));
    assert.equal(await ordersOf(alice.userId), 0);
    assert.equal(
      await countRows(
        service.pool,
        "SELECT count(*) FROM outbox WHERE event_type = 'ORDER_CREATED' AND envelope->'data'->>'userId' = $1",
        [alice.userId],
      ),
      0,
    );
    assert.equal(
      await countRows(service.pool, 'SELECT count(*) FROM idempotency_keys WHERE user_id = $1', [
        alice.userId,
      ]),
      0,
    );
  });

  test('when a customer asks for another customer’s order, then it is 404 for reading and cancelling; an admin sees it', async () => {
    const alice = customer();
    const bob = customer();
    const placed = await postOrder(service, alice.token, [{ productId: MUG, quantity: 1 }]);

    const peek = await service.http.get(`/orders/${placed.body.id}`, { token: bob.token });
    assert.equal(peek.status, 404);
    const missing = await service.http.get('/orders/00000000-0000-4000-8000-000000000000', {
      token: bob.token,
    });
    assert.deepEqual(
      { status: peek.status, detail: peek.body.detail },
      { status: missing.status, detail: missing.body.detail },
      'a foreign order looks exactly like a missing one',
    );
    const cancel = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: bob.token,
    });
    assert.equal(cancel.status, 404);
    assert.equal((await service.http.get('/orders/not-a-uuid', { token: bob.token })).status, 404);

    const own = await service.http.get(`/orders/${placed.body.id}`, { token: alice.token });
    assert.equal(own.status, 200);
    assert.equal(own.body.status, 'PENDING');
    const byAdmin = await service.http.get(`/orders/${placed.body.id}`, { token: admin().token });
    assert.equal(byAdmin.status, 200);
    assert.deepEqual(byAdmin.body, own.body);
  });

  test('when listing orders, then customers see their own, paginated and filterable; admins see everyone’s', async () => {
    const carol = customer();
    const dave = customer();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const placed = await postOrder(service, carol.token, [{ productId: TEA, quantity: i + 1 }]);
      ids.push(placed.body.id);
    }
    await postOrder(service, dave.token, [{ productId: TEA, quantity: 1 }]);
    const cancelled = await service.http.post(`/orders/${ids[0]}/cancel`, undefined, {
      token: carol.token,
    });
    assert.equal(cancelled.status, 200);

    const firstPage = await service.http.get('/orders?page=1&limit=2', { token: carol.token });
    assert.equal(firstPage.status, 200);
    assert.equal(firstPage.body.total, 3);
    assert.equal(firstPage.body.page, 1);
    assert.equal(firstPage.body.limit, 2);
    assert.deepEqual(
      firstPage.body.items.map((order: { id: string }) => order.id),
      [ids[2], ids[1]],
      'newest first',
    );
    const secondPage = await service.http.get('/orders?page=2&limit=2', { token: carol.token });
    assert.deepEqual(
      secondPage.body.items.map((order: { id: string }) => order.id),
      [ids[0]],
    );

    const onlyCancelled = await service.http.get('/orders?status=CANCELLED', {
      token: carol.token,
    });
    assert.deepEqual(
      onlyCancelled.body.items.map((order: { id: string }) => order.id),
      [ids[0]],
    );

    const everyone = await service.http.get('/orders?limit=500', { token: admin().token });
    assert.equal(everyone.body.limit, 100, 'page size is capped at 100');
    const owners = new Set(everyone.body.items.map((order: { userId: string }) => order.userId));
    assert.ok(owners.has(carol.userId) && owners.has(dave.userId));

    const badQuery = await service.http.get('/orders?status=SHIPPED', { token: carol.token });
    assert.equal(badQuery.status, 400);
    assert.equal((await service.http.get('/orders?page=0', { token: carol.token })).status, 400);
  });

  test('when listing a user’s orders, then only that user or an admin may, in the same paginated shape; anyone else gets 404', async () => {
    const erin = customer();
    const frank = customer();
    await postOrder(service, erin.token, [{ productId: MUG, quantity: 1 }]);

    const own = await service.http.get(`/orders/user/${erin.userId}`, { token: erin.token });
    assert.equal(own.status, 200);
    assert.equal(own.body.total, 1);
    assert.equal(own.body.items[0].userId, erin.userId);
    const byAdmin = await service.http.get(`/orders/user/${erin.userId}?limit=5`, {
      token: admin().token,
    });
    assert.deepEqual(
      { total: byAdmin.body.total, page: byAdmin.body.page, limit: byAdmin.body.limit },
      { total: 1, page: 1, limit: 5 },
    );
    const snooping = await service.http.get(`/orders/user/${erin.userId}`, {
      token: frank.token,
    });
    const nobody = await service.http.get('/orders/user/no-such-user', { token: frank.token });
    assert.equal(snooping.status, 404);
    assert.match(snooping.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.deepEqual(
      { status: snooping.status, detail: snooping.body.detail },
      { status: nobody.status, detail: nobody.body.detail },
      'another user’s list looks exactly like one of a user who does not exist',
    );
  });

  test('when an Idempotency-Key is retried 20 times at once, then exactly one order exists and every answer is that order', async () => {
    const grace = customer();
    const body = { items: [{ productId: MUG, quantity: 2 }] };
    const headers = { 'Idempotency-Key': 'checkout-7f3a' };

    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        service.http.post('/orders', body, { token: grace.token, headers }),
      ),
    );

    const statuses = answers.map((answer) => answer.status).sort((a, b) => a - b);
    assert.deepEqual(statuses, [...Array<number>(19).fill(200), 201], answers[0]!.text);
    const ids = new Set(answers.map((answer) => answer.body.id));
    assert.equal(ids.size, 1);
    const [orderId] = ids;
    assert.equal(await ordersOf(grace.userId), 1);
    assert.equal(await outboxEventsOf(service, 'ORDER_CREATED', orderId), 1);
    assert.ok(
      answers
        .filter((answer) => answer.status === 200)
        .every((answer) => answer.headers.get('idempotent-replayed') === 'true'),
    );

    const later = await service.http.post('/orders', body, { token: grace.token, headers });
    assert.equal(later.status, 200);
    assert.equal(later.body.id, orderId);
  });

  test('when an Idempotency-Key is reused with a different body, then it is 422 and no new order is made', async () => {
    const heidi = customer();
    const headers = { 'Idempotency-Key': 'basket-1' };
    const first = await postOrder(service, heidi.token, [{ productId: MUG, quantity: 1 }], headers);
    assert.equal(first.status, 201);

    const changed = await postOrder(
      service,
      heidi.token,
      [{ productId: MUG, quantity: 5 }],
      headers,
    );
    assert.equal(changed.status, 422);
    assert.match(changed.body.detail, /Idempotency-Key/);
    assert.equal(await ordersOf(heidi.userId), 1);

    const otherUser = customer();
    const sameKeyOtherUser = await postOrder(
      service,
      otherUser.token,
      [{ productId: MUG, quantity: 5 }],
      headers,
    );
    assert.equal(sameKeyOtherUser.status, 201, 'keys belong to one user');
    assert.notEqual(sameKeyOtherUser.body.id, first.body.id);

    const badKey = await postOrder(service, heidi.token, [{ productId: MUG, quantity: 1 }], {
      'Idempotency-Key': 'x'.repeat(300),
    });
    assert.equal(badKey.status, 400);
  });

  test('when customers cancel their own order, then the order shows the cancellation by the customer, in the answer, by id and in lists', async () => {
    const judy = customer();
    const placed = await postOrder(service, judy.token, [{ productId: TEA, quantity: 1 }]);
    assert.equal(placed.body.cancellation, undefined, 'a PENDING order has none');

    const cancelled = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: judy.token,
    });
    assert.equal(cancelled.status, 200);
    assert.deepEqual(cancelled.body.cancellation, {
      reason: 'cancelled by the customer',
      by: 'customer',
      at: cancelled.body.updatedAt,
    });
    const byId = await service.http.get(`/orders/${placed.body.id}`, { token: judy.token });
    assert.deepEqual(byId.body.cancellation, cancelled.body.cancellation);
    const list = await service.http.get('/orders?status=CANCELLED', { token: judy.token });
    assert.deepEqual(
      list.body.items.map((order: { cancellation?: unknown }) => order.cancellation),
      [cancelled.body.cancellation],
    );
  });

  test('when an admin cancels a customer’s order, then the order shows the cancellation by an admin', async () => {
    const kim = customer();
    const placed = await postOrder(service, kim.token, [{ productId: TEA, quantity: 1 }]);

    const cancelled = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: admin().token,
    });
    assert.equal(cancelled.status, 200);
    assert.equal(cancelled.body.cancellation.by, 'admin');
    assert.equal(cancelled.body.cancellation.reason, 'cancelled by an admin');
    const seenByOwner = await service.http.get(`/orders/${placed.body.id}`, { token: kim.token });
    assert.deepEqual(seenByOwner.body.cancellation, cancelled.body.cancellation);
    const theirList = await service.http.get(`/orders/user/${kim.userId}`, { token: kim.token });
    assert.equal(theirList.body.items[0].cancellation.by, 'admin');
  });

  test('when an order is cancelled twice, then the second is 409 and the order stays CANCELLED with one ORDER_CANCELLED', async () => {
    const ivan = customer();
    const placed = await postOrder(service, ivan.token, [{ productId: TEA, quantity: 1 }]);
    const first = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: ivan.token,
    });
    assert.equal(first.status, 200);
    assert.equal(first.body.status, 'CANCELLED');

    const second = await service.http.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: ivan.token,
    });
    assert.equal(second.status, 409);
    assert.match(second.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(second.body.orderStatus, 'CANCELLED');
    assert.equal(await outboxEventsOf(service, 'ORDER_CANCELLED', placed.body.id), 1);
  });
});

describe('orders API with product-service down', () => {
  let service: OrderServiceUnderTest;

  before(async () => {
    service = await startOrderService({ productServiceUrl: await deadServiceUrl() });
  });

  after(async () => {
    await service.stop();
  });

  test('when product-service does not answer, then placing an order is 503 within 2 s and creates nothing', async () => {
    const judy = customer();
    const started = Date.now();
    const response = await postOrder(service, judy.token, [{ productId: MUG, quantity: 1 }], {
      'Idempotency-Key': 'try-1',
    });
    const elapsedMs = Date.now() - started;

    assert.equal(response.status, 503, response.text);
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.match(response.body.detail, /product-service/);
    assert.ok(elapsedMs < 2000, `answered in ${elapsedMs} ms`);
    assert.equal(await countRows(service.pool, 'SELECT count(*) FROM orders'), 0);
    assert.equal(await countRows(service.pool, 'SELECT count(*) FROM outbox'), 0);
    assert.equal(await countRows(service.pool, 'SELECT count(*) FROM idempotency_keys'), 0);
  });
});

describe('orders API with product-service hanging', () => {
  let hanging: Awaited<ReturnType<typeof startHangingProductService>>;
  let service: OrderServiceUnderTest;

  before(async () => {
    hanging = await startHangingProductService();
    service = await startOrderService({
      productServiceUrl: hanging.url,
      productServiceTimeoutMs: 200,
    });
  });

  after(async () => {
    await service.stop();
    await hanging.close();
  });

  test('when product-service never answers, then each order is a 503 after the timeout, and once the circuit opens it fails at once', async () => {
    const kim = customer();
    const place = async () => {
      const started = Date.now();
      const response = await postOrder(service, kim.token, [{ productId: MUG, quantity: 1 }]);
      return { status: response.status, detail: response.body.detail, ms: Date.now() - started };
    };

    const first = await place();
    assert.equal(first.status, 503);
    assert.ok(first.ms < 2000, `answered in ${first.ms} ms`);

    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await place());
    const last = answers.at(-1)!;
    assert.ok(answers.every((answer) => answer.status === 503));
    assert.match(last.detail, /circuit is open/);
    assert.ok(last.ms < 150, `an open circuit answers at once (${last.ms} ms)`);
    assert.equal(await countRows(service.pool, 'SELECT count(*) FROM orders'), 0);
  });
});
