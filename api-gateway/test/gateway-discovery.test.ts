import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createDiscovery } from '@shop/registry-client';
import path from 'node:path';
import { clientFor, testServers, uniqueName, waitFor, whileServiceRuns } from '@shop/testkit';
// The registry is another workspace of this repository; its test support starts it in-process.
import { startRegistry } from '../../service-registry/test/support';
import {
  customerToken,
  silentLogger,
  startEcho,
  startGateway,
  upstreamEnv,
  useEchoes,
  type Echo,
} from './support';

const TTL_MS = 300;

async function closedPortUrl(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

describe('gateway discovery through the registry', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  // Its after hook runs first: the tests' gateways and the echoes close before the registry.
  const suite = useEchoes();

  before(async () => {
    registry = await startRegistry({ ttlMs: TTL_MS });
  });
  after(async () => {
    await registry.close();
  });

  /**
   * One heartbeat, as a service's loop sends it. A beat that fails (a kept-alive socket the
   * registry just closed, on a busy machine) is missed, as a real one would be: the next follows.
   */
  function heartbeat(id: string): void {
    clientFor(registry.url)
      .post(`/heartbeat/${id}`)
      .catch(() => undefined);
  }

  async function register(name: string, echo: Echo): Promise<string> {
    const response = await clientFor(registry.url).post('/register', {
      name,
      host: '127.0.0.1',
      port: echo.port,
    });
    return response.body.serviceId;
  }

  async function gatewayWithDiscovery(env: Record<string, string> = {}) {
    const discovery = createDiscovery({
      registryUrl: registry.url,
      cacheTtlMs: 50,
      logger: silentLogger,
    });
    return suite.startGateway({ env, discovery });
  }

  test('when two instances of a service are registered, then requests through the gateway alternate', async () => {
    const first = await startEcho('first');
    const second = await startEcho('second');
    suite.onCleanup(first.close, second.close);
    const ids = [
      await register('product-service', first),
      await register('product-service', second),
    ];
    const beat = setInterval(() => {
      for (const id of ids) heartbeat(id);
    }, 50);
    suite.onCleanup(async () => clearInterval(beat));
    const gateway = await gatewayWithDiscovery();

    const servedBy: string[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await gateway.api.get('/api/products');
      assert.equal(response.status, 200);
      servedBy.push(response.body.upstream);
    }
    assert.ok(
      ['first,second,first,second,first,second', 'second,first,second,first,second,first'].includes(
        servedBy.join(),
      ),
      servedBy.join(),
    );
    assert.equal(suite.echoes.products.received.length, 0, 'the static URL is only a fallback');
  });

  test('when an instance stops heartbeating, then after the TTL it receives no more traffic', async () => {
    const alive = await startEcho('alive');
    const silent = await startEcho('silent');
    suite.onCleanup(alive.close, silent.close);
    const aliveId = await register('order-service', alive);
    const silentId = await register('order-service', silent);
    const beat = setInterval(() => heartbeat(aliveId), 50);
    const silentBeat = setInterval(() => heartbeat(silentId), 50);
    suite.onCleanup(async () => clearInterval(beat));
    suite.onCleanup(async () => clearInterval(silentBeat));
    const gateway = await gatewayWithDiscovery();
    const token = customerToken();

    await waitFor(
      async () => {
        await gateway.api.get('/api/orders', { token });
        return silent.received.length > 0 && alive.received.length > 0;
      },
      { what: 'both instances to serve while both heartbeat' },
    );

    clearInterval(silentBeat);
    await waitFor(
      async () =>
        (await clientFor(registry.url).get('/services?name=order-service&state=stale')).body
          .instances.length === 1,
      { what: 'the silent instance to go stale' },
    );
    // The gateway's discovery cache (50 ms) may still hold the old list for a moment.
    await waitFor(async () => {
      const served = [];
      for (let i = 0; i < 3; i++)
        served.push((await gateway.api.get('/api/orders', { token })).body.upstream);
      return served.every((name) => name === 'alive');
    });
    const seenBySilent = silent.received.length;
    for (let i = 0; i < 6; i++) {
      const response = await gateway.api.get('/api/orders', { token });
      assert.equal(response.body.upstream, 'alive');
    }
    assert.equal(silent.received.length, seenBySilent, 'the stale instance got nothing');
  });

  test('when the registry knows no instance, then the gateway falls back to the static URL', async () => {
    const gateway = await gatewayWithDiscovery();
    const response = await gateway.api.get('/api/inventory/p1', {
      token: customerToken(),
    });
    assert.equal(response.status, 200);
    assert.equal(response.body.upstream, 'inventory-service');
    assert.ok(suite.echoes.inventory.received.length >= 1);
  });

  test('when the registry is unreachable, then the gateway falls back to the static URLs', async () => {
    const discovery = createDiscovery({
      registryUrl: await closedPortUrl(),
      cacheTtlMs: 50,
      logger: silentLogger,
    });
    const gateway = await startGateway({ env: upstreamEnv(suite.echoes), discovery });
    suite.onCleanup(gateway.close);
    const response = await gateway.api.post('/api/users/login', { email: 'a@b.c' });
    assert.equal(response.status, 200);
    assert.equal(response.body.upstream, 'user-service');
  });

  test('when only the registry gives upstreams, then /ready is 200 once each service has an instance', async () => {
    const discovery = createDiscovery({ registryUrl: registry.url, cacheTtlMs: 20 });
    const gateway = await startGateway({
      env: {
        REGISTRY_URL: registry.url,
        USER_SERVICE_URL: suite.echoes.users.url,
        PRODUCT_SERVICE_URL: suite.echoes.products.url,
        ORDER_SERVICE_URL: suite.echoes.orders.url,
      },
      discovery,
    });
    suite.onCleanup(gateway.close);
    const notReady = await gateway.api.get('/ready');
    assert.equal(notReady.status, 503);
    assert.equal(notReady.body.checks.upstreams, 'down');

    const inventory = await startEcho('inventory-service');
    suite.onCleanup(inventory.close);
    const id = await register('inventory-service', inventory);
    const beat = setInterval(() => heartbeat(id), 50);
    suite.onCleanup(async () => clearInterval(beat));
    await waitFor(async () => (await gateway.api.get('/ready')).status === 200);
  });

  test('when the gateway process starts with REGISTRY_URL, then it registers itself and deregisters on SIGTERM', async () => {
    const main = path.join(__dirname, '..', 'src', 'main.ts');
    const env = {
      REDIS_URL: testServers.redisUrl,
      REGISTRY_URL: registry.url,
      SERVICE_HOST: '127.0.0.1',
      RATE_LIMIT_PREFIX: `${uniqueName('gateway-process')}:`,
    };
    const { code } = await whileServiceRuns(main, env, async ({ url }) => {
      const port = Number(new URL(url).port);
      await waitFor(
        () => registry.registry.healthyInstances('api-gateway').some((i) => i.port === port),
        { what: 'the gateway to register itself' },
      );
    });
    assert.equal(code, 0);
    assert.deepEqual(registry.registry.healthyInstances('api-gateway'), []);
  });
});
