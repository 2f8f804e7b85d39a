import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Discovery } from '@shop/registry-client';
import { UpstreamDirectory } from '../src/upstreams/directory';
import { UpstreamPools } from '../src/upstreams/pools';

function directoryWith(instances: Record<string, string[]>, staticUrls = {}) {
  const discovery: Discovery = { resolve: async (name) => instances[name] ?? [] };
  return new UpstreamDirectory({
    staticUrls,
    discovery,
    circuit: { failureThreshold: 1, resetTimeoutMs: 60_000 },
  });
}

describe('upstream directory', () => {
  test('when several instances are known, then they are chosen in turn', async () => {
    const directory = directoryWith({ 'order-service': ['http://a', 'http://b', 'http://c'] });
    const chosen = [];
    for (let i = 0; i < 6; i++) chosen.push((await directory.choose('order-service')).target);
    assert.deepEqual(chosen, [
      'http://a',
      'http://b',
      'http://c',
      'http://a',
      'http://b',
      'http://c',
    ]);
  });

  test('when an instance circuit is open, then the others take its turns', async () => {
    const directory = directoryWith({ 'order-service': ['http://a', 'http://b'] });
    (await directory.choose('order-service')).breaker.recordFailure();
    const chosen = [];
    for (let i = 0; i < 3; i++) chosen.push((await directory.choose('order-service')).target);
    assert.deepEqual(chosen, ['http://b', 'http://b', 'http://b']);
  });

  test('when every circuit is open, then choosing fails fast with 503', async () => {
    const directory = directoryWith({ 'order-service': ['http://a'] });
    (await directory.choose('order-service')).breaker.recordFailure();
    await assert.rejects(directory.choose('order-service'), {
      status: 503,
      message: /circuit is open/,
    });
  });

  test('when discovery knows nothing, then the static URL is used, and without one nothing is', async () => {
    const directory = directoryWith({}, { 'user-service': 'http://users:3001' });
    assert.equal((await directory.choose('user-service')).target, 'http://users:3001');
    await assert.rejects(directory.choose('order-service'), { status: 503 });
    await assert.rejects(
      directory.assertEveryUpstreamHasATarget(),
      /no instance of product-service, order-service, inventory-service/,
    );
  });

  test('when an instance leaves the registry, then its connection pool is closed and the others stay', async () => {
    let listed = ['http://127.0.0.1:1', 'http://127.0.0.1:2'];
    const pools = new UpstreamPools({
      connections: 4,
      idleTimeoutMs: 1000,
      responseIdleTimeoutMs: 1000,
    });
    const directory = new UpstreamDirectory({
      staticUrls: {},
      discovery: { resolve: async () => listed },
      circuit: { failureThreshold: 1, resetTimeoutMs: 60_000 },
      onTargetGone: (target) => pools.forget(target),
    });
    for (let i = 0; i < 2; i++) pools.for((await directory.choose('order-service')).target);
    assert.ok(pools.has('http://127.0.0.1:1') && pools.has('http://127.0.0.1:2'));

    listed = ['http://127.0.0.1:1'];
    await directory.choose('order-service');

    assert.equal(pools.has('http://127.0.0.1:2'), false);
    assert.equal(pools.has('http://127.0.0.1:1'), true);
    await pools.close();
    assert.equal(pools.has('http://127.0.0.1:1'), false);
  });

  test('when a retry names the instance that refused, then another one is chosen, or none', async () => {
    const directory = directoryWith({ 'order-service': ['http://a', 'http://b'] });
    for (let i = 0; i < 4; i++) {
      assert.equal((await directory.choose('order-service', 'http://a')).target, 'http://b');
    }
    const single = directoryWith({ 'order-service': ['http://a'] });
    await assert.rejects(single.choose('order-service', 'http://a'), /refused the connection/);
  });
});
