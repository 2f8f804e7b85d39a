import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { clientFor, waitFor } from '@shop/testkit';
import type { RunningSystem } from '../scripts/system/launcher';
import { localSettings, readyBanner } from '../scripts/system/local-settings';
import { startShop, type Api, type Shop } from './support';

// The whole system as separate processes, driven only through the gateway over HTTP, the way a
// user with curl or Postman meets it.
let shop: Shop;
let system: RunningSystem;
let api: Api;

// The registry's token as `npm start` takes it: REGISTRY_TOKEN from the environment.
const settings = localSettings({ REGISTRY_TOKEN: 'e2e-own-registry-token-0123456789abcdef' });

before(async () => {
  shop = await startShop({ registryToken: settings.registryToken });
  system = shop.system;
  api = shop.api;
});
after(() => shop?.stop());

const signUp = (name: string) => shop.signUp(name);
const adminToken = () => shop.adminToken();
const createProduct = (
  token: string,
  fields: { name: string; price: number; initialStock: number },
) => shop.createProduct(token, fields);
const finalOrder = (id: string, token: string) => shop.finalOrder(id, token);

describe('the shop through its gateway', () => {
  test('when the system is up, then every service is registered and discoverable', async () => {
    const registry = clientFor(system.urls['service-registry']);
    assert.equal((await registry.get('/services')).status, 401, 'the registry wants its token');
    const services = await registry.get('/services', { token: system.registryToken });
    assert.equal(services.status, 200);
    const names = new Set(JSON.stringify(services.body).match(/[a-z]+-(service|gateway)/g));
    for (const name of [
      'user-service',
      'product-service',
      'order-service',
      'inventory-service',
      'api-gateway',
    ]) {
      assert.ok(names.has(name), `${name} is registered`);
    }
    const docs = await api.get('/docs/openapi.json');
    assert.equal(docs.status, 200);
    assert.match(docs.body.openapi, /^3\./);
  });

  test('when the curls npm start prints are pasted into a shell, then the catalog and the registry answer', async () => {
    assert.equal(system.registryToken, settings.registryToken, 'REGISTRY_TOKEN is the one used');
    const banner = readyBanner({
      seconds: 1,
      gatewayUrl: system.urls['api-gateway'],
      registryUrl: system.urls['service-registry'],
      registryToken: system.registryToken,
      settings,
      embeddedMongoUrl: system.mongoUrl,
      replicaLines: [],
    });
    const curls = banner.split('\n').filter((line) => line.trimStart().startsWith('curl '));
    assert.equal(curls.length, 2, banner);
    const [catalog, registry] = await Promise.all(
      curls.map(async (line) => JSON.parse((await promisify(execFile)('sh', ['-c', line])).stdout)),
    );
    assert.ok(Array.isArray(catalog.items), `the catalog curl: ${JSON.stringify(catalog)}`);
    assert.match(JSON.stringify(registry), /"order-service"/, 'the registry curl lists services');
  });

  test('when a customer orders what is in stock, then the order is CONFIRMED and the stock drops', async () => {
    const adminAuth = await adminToken();
    const lamp = await createProduct(adminAuth, {
      name: 'Desk lamp',
      price: 3999,
      initialStock: 5,
    });
    const customer = await signUp('alice');

    const search = await api.get('/products?q=desk%20LAMP&category=e2e');
    assert.equal(search.status, 200);
    assert.ok(search.body.items.some((item: { id: string }) => item.id === lamp.id));

    const placed = await shop.postOrder(customer.token, [{ productId: lamp.id, quantity: 2 }]);
    assert.equal(placed.status, 201, placed.text);
    assert.equal(placed.body.status, 'PENDING');
    assert.equal(placed.body.total, 7998);

    const order = await finalOrder(placed.body.id, customer.token);
    assert.equal(order.status, 'CONFIRMED');
    assert.deepEqual(await shop.stockOf(lamp.id, customer.token), { available: 3, reserved: 2 });
  });

  test('when an order asks for more than the stock, then it ends REJECTED with the shortage', async () => {
    const adminAuth = await adminToken();
    const chair = await createProduct(adminAuth, {
      name: 'Oak chair',
      price: 12900,
      initialStock: 1,
    });
    const customer = await signUp('bob');
    const placed = await shop.postOrder(customer.token, [{ productId: chair.id, quantity: 3 }]);
    assert.equal(placed.status, 201, placed.text);
    const order = await finalOrder(placed.body.id, customer.token);
    assert.equal(order.status, 'REJECTED');
    assert.match(JSON.stringify(order.rejectionReason), new RegExp(chair.id));
    assert.deepEqual(await shop.stockOf(chair.id, customer.token), { available: 1, reserved: 0 });
  });

  test('when a confirmed order is cancelled, then its stock is released', async () => {
    const adminAuth = await adminToken();
    const mug = await createProduct(adminAuth, {
      name: 'Stoneware mug',
      price: 1500,
      initialStock: 4,
    });
    const customer = await signUp('carol');
    const placed = await shop.postOrder(customer.token, [{ productId: mug.id, quantity: 4 }]);
    assert.equal((await finalOrder(placed.body.id, customer.token)).status, 'CONFIRMED');

    const cancelled = await api.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: customer.token,
    });
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'CANCELLED');
    await waitFor(
      async () => {
        const stock = await shop.stockOf(mug.id, customer.token);
        return stock.available === 4 && stock.reserved === 0;
      },
      { what: 'the stock to be released' },
    );
    const again = await api.post(`/orders/${placed.body.id}/cancel`, undefined, {
      token: customer.token,
    });
    assert.equal(again.status, 409);
  });

  test('when a refresh token is used, then it is rotated, and logout ends the session', async () => {
    const customer = await signUp('dave');
    const refreshed = await api.post('/users/refresh', {
      refreshToken: customer.login.refreshToken,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.notEqual(refreshed.body.refreshToken, customer.login.refreshToken);
    const me = await api.get('/users/me', { token: refreshed.body.accessToken });
    assert.equal(me.body.id, customer.id);

    const reused = await api.post('/users/refresh', { refreshToken: customer.login.refreshToken });
    assert.equal(reused.status, 401);

    const fresh = await signUp('erin');
    const logout = await api.post(
      '/users/logout',
      { refreshToken: fresh.login.refreshToken },
      { token: fresh.token },
    );
    assert.equal(logout.status, 204);
    assert.equal(
      (await api.post('/users/refresh', { refreshToken: fresh.login.refreshToken })).status,
      401,
    );
  });

  test('when a client forges identity headers, then no service believes them', async () => {
    const customer = await signUp('frank');
    const other = await signUp('grace');
    const response = await api.get(`/users/${other.id}`, {
      token: customer.token,
      headers: { 'x-user-id': other.id, 'x-user-role': 'admin' },
    });
    assert.equal(response.status, 404);
    assert.equal((await api.get('/orders')).status, 401);
  });

  test('when order-service is down, then a user is still shown, with ordersUnavailable', async () => {
    const adminAuth = await adminToken();
    const pen = await createProduct(adminAuth, {
      name: 'Fountain pen',
      price: 4500,
      initialStock: 10,
    });
    const customer = await signUp('heidi');
    const placed = await shop.postOrder(customer.token, [{ productId: pen.id, quantity: 1 }]);
    await finalOrder(placed.body.id, customer.token);

    const withOrders = await api.get(`/users/${customer.id}`, { token: customer.token });
    assert.equal(withOrders.status, 200);
    assert.equal(withOrders.body.ordersUnavailable, false);
    assert.deepEqual(
      withOrders.body.orders.map((order: { id: string }) => order.id),
      [placed.body.id],
    );

    await system.stopService('order-service');
    try {
      const started = Date.now();
      const degraded = await api.get(`/users/${customer.id}`, { token: customer.token });
      assert.equal(degraded.status, 200);
      assert.deepEqual(degraded.body.orders, []);
      assert.equal(degraded.body.ordersUnavailable, true);
      assert.ok(Date.now() - started < 5000);
      const orders = await api.get('/orders', { token: customer.token });
      assert.equal(orders.status, 503);
      assert.match(orders.headers.get('content-type') ?? '', /problem\+json/);
    } finally {
      await system.startService('order-service');
    }
  });

  test('when the system goes quiet, then stock adds up and no order is left PENDING', async () => {
    // Orders of its own that end each way, so the sums are checked whichever tests ran before.
    const adminAuth = await adminToken();
    const kettle = await createProduct(adminAuth, {
      name: 'Copper kettle',
      price: 6900,
      initialStock: 3,
    });
    const customer = await signUp('ivan');
    const order = async (quantity: number) => {
      const placed = await shop.postOrder(customer.token, [{ productId: kettle.id, quantity }]);
      assert.equal(placed.status, 201, placed.text);
      const { status } = await finalOrder(placed.body.id, customer.token);
      return { id: String(placed.body.id), status };
    };
    const kept = await order(2);
    const refused = await order(5);
    const withdrawn = await order(1);
    const cancel = await api.post(`/orders/${withdrawn.id}/cancel`, undefined, {
      token: customer.token,
    });
    assert.deepEqual(
      [kept.status, refused.status, withdrawn.status, cancel.body.status],
      ['CONFIRMED', 'REJECTED', 'CONFIRMED', 'CANCELLED'],
    );

    await shop.assertInvariant();
  });
});
