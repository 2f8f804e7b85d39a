import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Discovery } from '@shop/registry-client';
import { UpstreamDirectory } from '../src/upstreams/directory';

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
});
