import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ServiceRegistry, type RegistryLimits } from '../src/domain/registry';

function registryAt(limits: Partial<RegistryLimits> = {}) {
  const clock = { now: 1_000_000 };
  let next = 0;
  const registry = new ServiceRegistry(
    { ttlMs: 1000, graceMs: 3000, maxInstances: 10, maxInstancesPerName: 5, ...limits },
    () => clock.now,
    () => `id-${++next}`,
  );
  return { registry, clock };
}

const order = (port: number) => ({ name: 'order-service', host: '10.0.0.1', port });

/** Two new instances of order-service: `quiet` on port 1, `alive` on port 2. */
function quietAndAlive() {
  const { registry, clock } = registryAt();
  const quiet = registry.register(order(1));
  const alive = registry.register(order(2));
  assert.ok(quiet.kind === 'registered' && alive.kind === 'registered');
  return { registry, clock, quiet: quiet.instance, alive: alive.instance };
}

describe('service registry rules', () => {
  test('when three instances are healthy, then discover hands them out in turn', () => {
    const { registry } = registryAt();
    for (const port of [1, 2, 3]) registry.register(order(port));
    const ports = Array.from({ length: 6 }, () => registry.discover('order-service')?.port);
    assert.deepEqual(ports, [1, 2, 3, 1, 2, 3]);
  });

  test('when the same name, host and port register again, then the serviceId is the same', () => {
    const { registry, clock } = registryAt();
    const first = registry.register(order(1));
    clock.now += 500;
    const second = registry.register(order(1));
    assert.equal(first.kind, 'registered');
    assert.equal(second.kind, 'renewed');
    assert.equal(second.instance.serviceId, first.instance.serviceId);
    assert.equal(second.instance.lastHeartbeat, clock.now);
    assert.equal(registry.list().length, 1);
  });

  test('when an instance misses heartbeats past the TTL, then it is stale and not handed out', () => {
    const { registry, clock, alive } = quietAndAlive();
    clock.now += 800;
    registry.heartbeat(alive.serviceId);
    clock.now += 300;
    const states = Object.fromEntries(registry.list().map((view) => [view.port, view.state]));
    assert.deepEqual(states, { 1: 'stale', 2: 'healthy' });
    assert.deepEqual(
      [1, 2, 3].map(() => registry.discover('order-service')?.port),
      [2, 2, 2],
    );
  });

  test('when no instance is healthy, then discover finds none', () => {
    const { registry, clock } = registryAt();
    registry.register(order(1));
    clock.now += 1001;
    assert.equal(registry.discover('order-service'), undefined);
    assert.equal(registry.discover('user-service'), undefined);
  });

  test('when the grace period passes, then the sweeper forgets the silent instance only', () => {
    const { registry, clock, quiet, alive } = quietAndAlive();
    clock.now += 2000;
    registry.heartbeat(alive.serviceId);
    assert.deepEqual(registry.sweep(), []);
    clock.now += 1500;
    assert.deepEqual(registry.sweep(), [quiet.serviceId]);
    assert.equal(registry.heartbeat(quiet.serviceId), false);
    assert.deepEqual(
      registry.list().map((view) => view.port),
      [2],
    );
  });

  test('when a name has its limit of instances, then one more is refused', () => {
    const { registry } = registryAt({ maxInstancesPerName: 2 });
    registry.register(order(1));
    registry.register(order(2));
    assert.deepEqual(registry.register(order(3)), { kind: 'name-full', limit: 2 });
    assert.equal(registry.register(order(1)).kind, 'renewed');
    assert.equal(registry.register({ ...order(3), name: 'user-service' }).kind, 'registered');
  });

  test('when the registry is full, then a new instance is refused unless stale ones make room', () => {
    const { registry, clock } = registryAt({ maxInstances: 2 });
    registry.register(order(1));
    registry.register({ name: 'user-service', host: 'users', port: 1 });
    assert.deepEqual(registry.register(order(2)), { kind: 'registry-full', limit: 2 });
    clock.now += 1001;
    assert.equal(registry.register(order(2)).kind, 'registered');
    assert.equal(registry.list().length, 1);
  });

  test('when the host is an IPv6 address, then its URL brackets it', () => {
    const { registry } = registryAt();
    registry.register({ name: 'order-service', host: '::1', port: 3002 });
    assert.equal(registry.discover('order-service')?.url, 'http://[::1]:3002');
  });
});
