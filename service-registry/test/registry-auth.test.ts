import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createDiscovery, registerWithRegistry } from '@shop/registry-client';
import { call, waitFor } from '@shop/testkit';
import { REGISTRY_TOKEN, capturingLogger, silentLogger, startRegistry } from './support';

const fast = { heartbeatIntervalMs: 50, retryDelayMs: 20, maxRetryDelayMs: 100 };
const impostor = { name: 'user-service', host: 'attacker.example', port: 3001 };

const wrongTokens: [string, Record<string, string>][] = [
  ['no Authorization header', {}],
  ['a token of the same length', { authorization: `Bearer ${REGISTRY_TOKEN.replace(/.$/, 'X')}` }],
  ['a shorter token', { authorization: 'Bearer short' }],
  ['a longer token', { authorization: `Bearer ${REGISTRY_TOKEN}extra` }],
  ['another scheme', { authorization: `Basic ${REGISTRY_TOKEN}` }],
];

describe('a registry with REGISTRY_TOKEN set, over HTTP', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  const withToken = { authorization: `Bearer ${REGISTRY_TOKEN}` };
  const api = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    call(registry.url, method, path, { headers, body });

  before(async () => {
    registry = await startRegistry({}, { token: REGISTRY_TOKEN });
  });
  after(() => registry.close());

  test('when a registration comes without the token or with a wrong one, then it gets 401 and nothing is registered', async () => {
    for (const [what, headers] of wrongTokens) {
      const response = await api('POST', '/register', headers, impostor);
      assert.equal(response.status, 401, what);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer');
      assert.equal(response.body.detail, 'The registry token is missing or wrong');
    }
    assert.deepEqual(registry.registry.list(), []);
  });

  test('when a registration carries the token, then the instance is registered and discoverable with it', async () => {
    const registered = await api('POST', '/register', withToken, {
      name: 'token-service',
      host: '10.2.0.1',
      port: 3000,
    });
    assert.equal(registered.status, 201);
    assert.equal(registry.registry.healthyInstances('token-service').length, 1);

    const found = await api('GET', '/discover/token-service', withToken);
    assert.equal(found.status, 200);
    assert.equal(found.body.url, 'http://10.2.0.1:3000');
    const listed = await api('GET', '/services?name=token-service', withToken);
    assert.equal(listed.status, 200);
    assert.equal(listed.body.instances.length, 1);
  });

  test('when heartbeats and deregistrations come without the right token, then they get 401 and the instance stays', async () => {
    const registered = await api('POST', '/register', withToken, {
      name: 'guarded-service',
      host: '10.2.0.2',
      port: 3000,
    });
    const serviceId = registered.body.serviceId as string;
    const [before] = registry.registry.list().filter((view) => view.serviceId === serviceId);
    assert.ok(before);

    for (const [what, headers] of wrongTokens) {
      assert.equal((await api('POST', `/heartbeat/${serviceId}`, headers)).status, 401, what);
      assert.equal((await api('DELETE', `/services/${serviceId}`, headers)).status, 401, what);
    }
    const after = registry.registry.list().find((view) => view.serviceId === serviceId);
    assert.equal(after?.lastHeartbeat, before.lastHeartbeat, 'no heartbeat was counted');

    assert.equal((await api('POST', `/heartbeat/${serviceId}`, withToken)).status, 204);
    assert.equal((await api('DELETE', `/services/${serviceId}`, withToken)).status, 204);
    assert.equal(registry.registry.healthyInstances('guarded-service').length, 0);
  });

  test('when discovery reads come without the right token, then they get 401 and reveal no address', async () => {
    await api('POST', '/register', withToken, {
      name: 'secret-service',
      host: '10.2.0.3',
      port: 1,
    });
    for (const [what, headers] of wrongTokens) {
      for (const path of [
        '/discover/secret-service',
        '/services',
        '/services?name=secret-service',
      ]) {
        const response = await api('GET', path, headers);
        assert.equal(response.status, 401, `${what} ${path}`);
        assert.doesNotMatch(response.text, /10\.2\.0\.3/);
      }
    }
  });

  test('when probes and Prometheus call without a token, then /health, /ready and /metrics still answer', async () => {
    for (const path of ['/health', '/ready', '/metrics']) {
      assert.equal((await api('GET', path, {})).status, 200, path);
    }
    assert.equal((await api('GET', '/no-such-route', {})).status, 404);
  });
});

describe('the registry client with REGISTRY_TOKEN', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  test('when the client has the token, then it registers, heartbeats and deregisters on stop', async () => {
    const registry = await startRegistry({}, { token: REGISTRY_TOKEN });
    cleanups.push(registry.close);
    const registration = registerWithRegistry({
      registryUrl: registry.url,
      registryToken: REGISTRY_TOKEN,
      name: 'trusted-service',
      host: 'trusted-host',
      port: 4100,
      logger: silentLogger,
      ...fast,
    });
    cleanups.push(() => registration.stop());

    const serviceId = await waitFor(() => registration.serviceId, { what: 'registration' });
    const registeredAt = registry.registry.list()[0]?.lastHeartbeat ?? 0;
    await waitFor(() => (registry.registry.list()[0]?.lastHeartbeat ?? 0) > registeredAt, {
      what: 'a heartbeat accepted',
    });
    assert.equal(registry.registry.list()[0]?.serviceId, serviceId);

    await registration.stop();
    assert.deepEqual(registry.registry.list(), []);
  });

  test('when the client has no token or a wrong one, then the registry refuses it and it logs which setting to fix', async () => {
    const registry = await startRegistry({}, { token: REGISTRY_TOKEN });
    cleanups.push(registry.close);
    for (const registryToken of [undefined, `${REGISTRY_TOKEN}-wrong`]) {
      const { logger, lines } = capturingLogger();
      const registration = registerWithRegistry({
        registryUrl: registry.url,
        registryToken,
        name: 'untrusted-service',
        host: 'untrusted-host',
        port: 4101,
        logger,
        ...fast,
      });
      cleanups.push(() => registration.stop());
      await waitFor(
        () =>
          lines.filter((line) => line.reason?.includes('REGISTRY_TOKEN is missing or wrong'))
            .length >= 2,
        { what: 'two refused attempts' },
      );
      await registration.stop();
      assert.equal(registration.serviceId, undefined);
      assert.deepEqual(registry.registry.list(), []);
    }
  });

  test('when discovery has the token, then it resolves; without it, it answers [] and says why', async () => {
    const registry = await startRegistry({}, { token: REGISTRY_TOKEN });
    cleanups.push(registry.close);
    await call(registry.url, 'POST', '/register', {
      headers: { authorization: `Bearer ${REGISTRY_TOKEN}` },
      body: { name: 'order-service', host: '10.3.0.1', port: 3002 },
    });

    const trusted = createDiscovery({ registryUrl: registry.url, registryToken: REGISTRY_TOKEN });
    assert.deepEqual(await trusted.resolve('order-service'), ['http://10.3.0.1:3002']);

    const { logger, lines } = capturingLogger();
    const anonymous = createDiscovery({ registryUrl: registry.url, logger });
    assert.deepEqual(await anonymous.resolve('order-service'), []);
    assert.ok(
      lines.some(
        (line) => line.level === 'warn' && line.reason?.includes('REGISTRY_TOKEN is missing'),
      ),
      JSON.stringify(lines),
    );
  });
});
