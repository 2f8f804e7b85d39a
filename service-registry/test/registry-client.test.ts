import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import { createDiscovery, registerWithRegistry } from '@shop/registry-client';
import { clientFor, waitFor } from '@shop/testkit';
import { silentLogger, startRegistry } from './support';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const fast = { heartbeatIntervalMs: 50, retryDelayMs: 20, maxRetryDelayMs: 100 };

describe('registry client', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** A registry closed after the suite. */
  async function registryForTest(...options: Parameters<typeof startRegistry>) {
    const registry = await startRegistry(...options);
    cleanups.push(registry.close);
    return registry;
  }

  /**
   * A fast-beating client for `<what>-service` on `<what>-host`, stopped after the suite if its
   * test does not stop it first.
   */
  function register(registryUrl: string, what: string, port: number) {
    const registration = registerWithRegistry({
      registryUrl,
      name: `${what}-service`,
      host: `${what}-host`,
      port,
      logger: silentLogger,
      ...fast,
    });
    cleanups.push(() => registration.stop());
    return registration;
  }

  test('when the registry is not up yet, then the client keeps retrying and registers once it is', async () => {
    const port = await freePort();
    const registration = register(`http://127.0.0.1:${port}`, 'late', 4000);
    assert.equal(registration.serviceId, undefined);
    await new Promise((resolve) => setTimeout(resolve, 150));

    const registry = await registryForTest({}, { port });
    const serviceId = await waitFor(() => registration.serviceId, { what: 'registration' });
    const found = await clientFor(registry.url).get('/discover/late-service');
    assert.equal(found.body.serviceId, serviceId);
  });

  test('when the registry forgets the instance, then the next heartbeat gets 404 and the client registers again', async () => {
    const registry = await registryForTest();
    const registration = register(registry.url, 'forgotten', 4001);
    const first = await waitFor(() => registration.serviceId);

    // What a registry restart looks like to the client: its id is no longer known.
    registry.registry.deregister(first);
    assert.equal(registry.registry.list().length, 0);

    await waitFor(() => registry.registry.healthyInstances('forgotten-service').length === 1, {
      what: 're-registration',
    });
    assert.equal(registry.registry.list()[0]?.host, 'forgotten-host');
  });

  test('when the registry restarts empty on the same port, then the client registers again', async () => {
    const before = await startRegistry();
    const registration = register(before.url, 'restart', 4002);
    await waitFor(() => registration.serviceId);
    await before.close();

    const restarted = await registryForTest({}, { port: before.port });
    await waitFor(() => restarted.registry.healthyInstances('restart-service').length === 1);
  });

  test('when the service stops, then it deregisters and heartbeats stop', async () => {
    const registry = await registryForTest();
    const registration = register(registry.url, 'stopping', 4003);
    await waitFor(() => registration.serviceId);
    await registration.stop();
    assert.equal(registry.registry.list().length, 0);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(registry.registry.list().length, 0, 'nothing registered it again');
  });

  test('when discovery is asked again within its cache TTL, then it answers from the cache until the TTL passes', async () => {
    const registry = await registryForTest();
    const api = clientFor(registry.url);
    await api.post('/register', { name: 'cached-service', host: 'one', port: 1 });
    const clock = { now: 0 };
    const discovery = createDiscovery({
      registryUrl: registry.url,
      cacheTtlMs: 1000,
      now: () => clock.now,
    });

    assert.deepEqual(await discovery.resolve('cached-service'), ['http://one:1']);
    await api.post('/register', { name: 'cached-service', host: 'two', port: 1 });
    clock.now += 999;
    assert.deepEqual(await discovery.resolve('cached-service'), ['http://one:1']);
    clock.now += 1;
    assert.deepEqual(await discovery.resolve('cached-service'), ['http://one:1', 'http://two:1']);
    assert.deepEqual(await discovery.resolve('unknown-service'), []);
  });

  test('when the registry is unreachable, then discovery answers an empty list, not an error', async () => {
    const discovery = createDiscovery({
      registryUrl: `http://127.0.0.1:${await freePort()}`,
      cacheTtlMs: 50,
      logger: silentLogger,
    });
    assert.deepEqual(await discovery.resolve('order-service'), []);
  });
});
