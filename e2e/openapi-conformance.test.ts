import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { call, uniqueName, waitFor, type TestRequest, type TestResponse } from '@shop/testkit';
import { ConformanceChecker, type Exchange, type OpenApiDocument } from './openapi-conformance';
import { startShop, type Shop } from './support';

// The whole system as processes, every documented operation called through the gateway, and
// every answer checked against the document the gateway serves: a field, a status or a media
// type that the document does not describe fails here, so the document cannot drift.
let shop: Shop;
let gateway: string;
let checker: ConformanceChecker;
const exchanges: Exchange[] = [];

async function send(method: string, url: string, request: TestRequest = {}) {
  const response = await call(gateway, method, url, request);
  exchanges.push({ method, url, ...response });
  return response;
}

const expectStatus = (response: TestResponse, status: number, what: string) =>
  assert.equal(response.status, status, `${what}: ${response.text.slice(0, 300)}`);

before(async () => {
  shop = await startShop();
  gateway = shop.system.urls['api-gateway'];
  const document = await call(gateway, 'GET', '/api/docs/openapi.json');
  checker = new ConformanceChecker(document.body as OpenApiDocument);
});
after(() => shop?.stop());

describe('the answers of the running system against its OpenAPI document', () => {
  test('when every documented operation is called, with its successes and its refusals, then every answer is what the document says', async () => {
    const admin = await shop.adminToken();
    const email = `${uniqueName('conformance')}@shop.test`;
    const password = 'correct-horse-battery-9';

    // users
    expectStatus(await send('GET', '/health'), 200, 'health');
    expectStatus(await send('GET', '/ready'), 200, 'ready');
    expectStatus(await send('GET', '/metrics'), 200, 'metrics');
    expectStatus(await send('GET', '/api/docs'), 200, 'docs page');
    expectStatus(await send('GET', '/api/docs/openapi.json'), 200, 'document');
    const registered = await send('POST', '/api/v1/users/register', {
      body: { email, password, name: 'Conformance' },
    });
    expectStatus(registered, 201, 'register');
    expectStatus(
      await send('POST', '/api/users/register', { body: { email, password, name: 'Again' } }),
      409,
      'register a taken email',
    );
    expectStatus(
      await send('POST', '/api/users/register', { body: { email: 'not-an-email', password } }),
      400,
      'register with a bad body',
    );
    expectStatus(
      await send('POST', '/api/users/login', { body: { email, password: 'wrong-password-1' } }),
      401,
      'login with a wrong password',
    );
    const login = await send('POST', '/api/v1/users/login', { body: { email, password } });
    expectStatus(login, 200, 'login');
    const refreshed = await send('POST', '/api/users/refresh', {
      body: { refreshToken: login.body.refreshToken },
    });
    expectStatus(refreshed, 200, 'refresh');
    expectStatus(
      await send('POST', '/api/users/refresh', {
        body: { refreshToken: login.body.refreshToken },
      }),
      401,
      'refresh with a dead token',
    );
    const session = await send('POST', '/api/users/login', { body: { email, password } });
    const token: string = session.body.accessToken;
    const userId: string = registered.body.id;
    expectStatus(await send('GET', '/api/users/me', { token }), 200, 'me');
    expectStatus(await send('GET', '/api/users/me'), 401, 'me without a token');
    expectStatus(await send('GET', `/api/v1/users/${userId}`, { token }), 200, 'profile');
    expectStatus(await send('GET', '/api/users/someone-else', { token }), 404, 'a stranger');

    // products
    const sku = uniqueName('SKU').toUpperCase();
    const fields = {
      name: 'Conformance lamp',
      description: 'A lamp',
      price: 1999,
      category: 'e2e',
    };
    const created = await send('POST', '/api/v1/products', {
      token: admin,
      body: { ...fields, sku, initialStock: 5 },
    });
    expectStatus(created, 201, 'create a product');
    const productId: string = created.body.id;
    expectStatus(
      await send('POST', '/api/products', { token: admin, body: { ...fields, sku } }),
      409,
      'create with a taken SKU',
    );
    expectStatus(
      await send('POST', '/api/products', { token, body: { ...fields, sku: 'X-1' } }),
      403,
      'a customer creating a product',
    );
    expectStatus(
      await send('POST', '/api/products', { token: admin, body: { ...fields, price: -1 } }),
      400,
      'create with a negative price',
    );
    expectStatus(
      await send('POST', '/api/products', {
        token: admin,
        body: 'name=lamp',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'create with a body that is not JSON',
    );
    expectStatus(await send('GET', '/api/v1/products?q=lamp&sort=price'), 200, 'search');
    expectStatus(await send('GET', '/api/products?limit=1000'), 400, 'search with a bad limit');
    expectStatus(await send('GET', `/api/v1/products/${productId}`), 200, 'one product');
    expectStatus(
      await send('GET', '/api/products/000000000000000000000000'),
      404,
      'an unknown product',
    );
    const renamed = await send('PATCH', `/api/v1/products/${productId}`, {
      token: admin,
      body: { name: 'Conformance lamp, renamed' },
    });
    expectStatus(renamed, 200, 'rename');
    expectStatus(
      await send('PATCH', '/api/products/000000000000000000000000', {
        token: admin,
        body: { name: 'Nothing' },
      }),
      404,
      'rename an unknown product',
    );

    // inventory: it learns the product from PRODUCT_CREATED
    await waitFor(
      async () =>
        (await call(gateway, 'GET', `/api/inventory/${productId}`, { token })).status === 200,
      { what: 'the stock row', timeoutMs: 20_000 },
    );
    expectStatus(await send('GET', `/api/v1/inventory/${productId}`, { token }), 200, 'stock');
    expectStatus(
      await send('GET', '/api/inventory/000000000000000000000000', { token }),
      404,
      'stock of an unknown product',
    );
    expectStatus(
      await send('PUT', `/api/v1/inventory/${productId}`, { token: admin, body: { available: 7 } }),
      200,
      'restock',
    );
    expectStatus(
      await send('PUT', `/api/inventory/${productId}`, { token: admin, body: { available: -7 } }),
      400,
      'restock below zero',
    );
    expectStatus(
      await send('GET', '/api/v1/inventory?limit=5', { token: admin }),
      200,
      'stock list',
    );
    expectStatus(await send('GET', '/api/inventory', { token }), 403, 'stock list, customer');
    expectStatus(
      await send('GET', `/api/v1/inventory/${productId}/ledger`, { token: admin }),
      200,
      'ledger',
    );

    // orders
    const line = { items: [{ productId, quantity: 2 }] };
    const key = uniqueName('idempotency');
    const placed = await send('POST', '/api/v1/orders', {
      token,
      body: line,
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(placed, 201, 'place an order');
    const replay = await send('POST', '/api/orders', {
      token,
      body: line,
      headers: { 'Idempotency-Key': key },
    });
    expectStatus(replay, 200, 'replay the order');
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    expectStatus(
      await send('POST', '/api/orders', {
        token,
        body: { items: [{ productId: '000000000000000000000000', quantity: 1 }] },
      }),
      422,
      'order an unknown product',
    );
    expectStatus(
      await send('POST', '/api/orders', { token, body: { items: [] } }),
      400,
      'order nothing',
    );
    const orderId: string = placed.body.id;
    await shop.finalOrder(orderId, token);
    expectStatus(await send('GET', '/api/v1/orders?limit=5', { token }), 200, 'own orders');
    expectStatus(await send('GET', `/api/v1/orders/${orderId}`, { token }), 200, 'one order');
    expectStatus(
      await send('GET', `/api/v1/orders/user/${userId}`, { token }),
      200,
      "a user's orders",
    );
    expectStatus(await send('POST', `/api/v1/orders/${orderId}/cancel`, { token }), 200, 'cancel');
    const again = await send('POST', `/api/orders/${orderId}/cancel`, { token });
    expectStatus(again, 409, 'cancel a cancelled order');
    assert.equal(again.body.orderStatus, 'CANCELLED');
    expectStatus(
      await send('GET', '/api/orders/00000000-0000-4000-8000-000000000000', { token }),
      404,
      'an unknown order',
    );

    expectStatus(
      await send('DELETE', `/api/v1/products/${productId}`, { token: admin }),
      204,
      'delete the product',
    );
    expectStatus(
      await send('DELETE', `/api/products/${productId}`, { token: admin }),
      404,
      'delete it again',
    );
    expectStatus(
      await send('POST', '/api/v1/users/logout', {
        token,
        body: { refreshToken: session.body.refreshToken },
      }),
      204,
      'logout',
    );

    const failures = exchanges.flatMap((exchange) =>
      checker
        .problemsOf(exchange)
        .map((problem) => `${exchange.method} ${exchange.url} ${exchange.status}: ${problem}`),
    );
    assert.deepEqual(failures, []);
  });

  test('when the run is over, then every documented operation was called and checked', () => {
    const called = new Set(
      exchanges.map((exchange) => {
        const matched = checker.operationFor(exchange.method, exchange.url);
        return matched ? `${matched.method} ${matched.template}` : 'undocumented';
      }),
    );
    assert.deepEqual(
      checker.operations().filter((operation) => !called.has(operation)),
      [],
    );
  });

  test('when an answer carries a field the document does not name, then the checker refuses it', () => {
    const placed = exchanges.find(
      (exchange) => exchange.method === 'POST' && exchange.url === '/api/v1/orders',
    )!;
    const drifted = { ...placed, text: JSON.stringify({ ...JSON.parse(placed.text), extra: 1 }) };
    assert.match(checker.problemsOf(drifted).join(), /must NOT have additional properties/);
    const wrongStatus = { ...placed, status: 418 };
    assert.match(checker.problemsOf(wrongStatus).join(), /418 is not a documented answer/);
  });
});
