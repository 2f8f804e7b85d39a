import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clientFor, hasSample, parsePrometheusText, waitFor } from '@shop/testkit';
import { startRegistry } from './support';

describe('service registry over HTTP', () => {
  let registry: Awaited<ReturnType<typeof startRegistry>>;
  let api: ReturnType<typeof clientFor>;

  before(async () => {
    registry = await startRegistry({ maxInstances: 20, maxInstancesPerName: 5 });
    api = clientFor(registry.url);
  });
  after(() => registry.close());

  test('when an instance registers twice, then it gets 201 then 200 with the same serviceId', async () => {
    const first = await api.post('/register', {
      name: 'twice-service',
      host: '10.1.0.1',
      port: 80,
    });
    const second = await api.post('/register', {
      name: 'twice-service',
      host: '10.1.0.1',
      port: 80,
    });
    assert.equal(first.status, 201);
    assert.equal(second.status, 200);
    assert.ok(first.body.serviceId);
    assert.equal(second.body.serviceId, first.body.serviceId);
  });

  test('when two instances are healthy, then discover alternates between them', async () => {
    const a = await api.post('/register', { name: 'rr-service', host: 'rr-a', port: 3000 });
    const b = await api.post('/register', { name: 'rr-service', host: 'rr-b', port: 3000 });
    const seen = [];
    for (let i = 0; i < 4; i++) seen.push((await api.get('/discover/rr-service')).body.serviceId);
    assert.deepEqual(seen, [
      a.body.serviceId,
      b.body.serviceId,
      a.body.serviceId,
      b.body.serviceId,
    ]);
    const one = await api.get('/discover/rr-service');
    assert.equal(one.status, 200);
    assert.match(one.body.url, /^http:\/\/rr-[ab]:3000$/);
  });

  test('when an instance stops heartbeating, then after the TTL it is stale and not discovered', async () => {
    // Its own registry, with a TTL short enough to watch expire.
    const shortLived = await startRegistry({ ttlMs: 1000 });
    const api = clientFor(shortLived.url);
    try {
      const quiet = await api.post('/register', { name: 'ttl-service', host: 'quiet', port: 1 });
      const alive = await api.post('/register', { name: 'ttl-service', host: 'alive', port: 1 });
      const beat = setInterval(() => void api.post(`/heartbeat/${alive.body.serviceId}`), 50);
      try {
        await waitFor(async () => {
          const list = await api.get('/services?name=ttl-service');
          const stateOf = (id: string) =>
            list.body.instances.find((i: { serviceId: string }) => i.serviceId === id)?.state;
          return (
            stateOf(quiet.body.serviceId) === 'stale' && stateOf(alive.body.serviceId) === 'healthy'
          );
        });
        for (let i = 0; i < 3; i++) {
          assert.equal((await api.get('/discover/ttl-service')).body.host, 'alive');
        }
      } finally {
        clearInterval(beat);
      }
      await waitFor(async () => (await api.get('/discover/ttl-service')).status === 404);
      const none = await api.get('/discover/ttl-service');
      assert.match(none.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.ok(none.body.requestId);
    } finally {
      await shortLived.close();
    }
  });

  test('when a heartbeat names an unknown instance, then it gets 404', async () => {
    const response = await api.post('/heartbeat/no-such-instance');
    assert.equal(response.status, 404);
  });

  test('when an instance deregisters, then it is gone', async () => {
    const registered = await api.post('/register', { name: 'gone-service', host: 'h', port: 2 });
    const removed = await api.delete(`/services/${registered.body.serviceId}`);
    assert.equal(removed.status, 204);
    assert.equal((await api.get('/discover/gone-service')).status, 404);
    assert.equal((await api.post(`/heartbeat/${registered.body.serviceId}`)).status, 404);
  });

  test('when registrations are malformed, then each gets a 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ name: 'Order_Service', host: 'h', port: 1 }, 'name'],
      [{ name: 'orders', host: 'bad host!', port: 1 }, 'host'],
      [{ name: 'orders', host: '999.1.1.1', port: 1 }, 'host'],
      [{ name: 'orders', host: 'h', port: 0 }, 'port'],
      [{ name: 'orders', host: 'h', port: 65536 }, 'port'],
      [{ name: 'orders', host: 'h', port: '80' }, 'port'],
      [{ name: 'orders', host: 'h', port: 1, healthCheck: 'http://elsewhere' }, 'healthCheck'],
    ];
    for (const [body, field] of cases) {
      const response = await api.post('/register', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok(
        response.body.errors.some((error: { path: string }) => error.path === field),
        JSON.stringify(response.body),
      );
    }
    assert.equal((await api.post('/register', 'not json')).status, 400);
    assert.equal((await api.get('/discover/NOT_A_SLUG')).status, 400);
  });

  test('when metrics are scraped, then instances are counted by name and state', async () => {
    await api.post('/register', { name: 'metered-service', host: 'm', port: 1 });
    const metrics = parsePrometheusText((await api.get('/metrics')).text);
    assert.ok(hasSample(metrics, 'registry_instances', 'name="metered-service"'));
  });

  test('when a flood of registrations arrives, then the bounds answer 429 and memory stays bounded', async () => {
    const perName = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        api.post('/register', { name: 'flood-service', host: `flood-${i}`, port: 1 }),
      ),
    );
    assert.equal(perName.filter((r) => r.status === 201).length, 5);
    const refused = perName.find((r) => r.status === 429);
    assert.ok(refused);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.ok(refused.headers.get('retry-after'));
    assert.match(refused.body.detail, /flood-service already has its limit of 5/);

    const total = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.post('/register', { name: `flood-${i}`, host: 'h', port: 1 }),
      ),
    );
    assert.ok(total.some((r) => r.status === 429 && /limit of 20 instances/.test(r.body.detail)));
    assert.ok((await api.get('/services')).body.instances.length <= 20);
  });
});
