import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configSchema } from '../src/config';
import { DEFAULT_RETRY_DELAYS_MS } from '../src/events/consumers';

const required = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/inventory',
  RABBITMQ_URL: 'amqp://guest:guest@127.0.0.1:5672',
  JWT_SECRET: 'a-secret-that-is-long-enough-for-hs256-0123',
};

describe('inventory configuration', () => {
  test('when CONSUMER_RETRY_DELAYS_MS is set, then the consumer retries after those delays', () => {
    const config = configSchema.parse({ ...required, CONSUMER_RETRY_DELAYS_MS: '50,250,1000' });
    assert.deepEqual(config.CONSUMER_RETRY_DELAYS_MS, [50, 250, 1000]);
  });

  test('when CONSUMER_RETRY_DELAYS_MS is unset, then the production delays apply: growing, over ten minutes in all', () => {
    assert.equal(configSchema.parse(required).CONSUMER_RETRY_DELAYS_MS, undefined);
    assert.deepEqual(
      [...DEFAULT_RETRY_DELAYS_MS].sort((a, b) => a - b),
      DEFAULT_RETRY_DELAYS_MS,
    );
    const total = DEFAULT_RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    assert.ok(total > 10 * 60_000, `${total} ms of retries outlast a slow product relay`);
  });

  test('when CONSUMER_RETRY_DELAYS_MS is not a list of positive integers, then the config is refused', () => {
    for (const bad of ['', '0', '100,', '1s,5s', '100;200', '-5']) {
      const result = configSchema.safeParse({ ...required, CONSUMER_RETRY_DELAYS_MS: bad });
      assert.equal(result.success, false, JSON.stringify(bad));
    }
  });
});
