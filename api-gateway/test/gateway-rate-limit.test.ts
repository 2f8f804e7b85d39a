import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import path from 'node:path';
import { Redis } from 'ioredis';
import {
  call,
  startServiceProcess,
  startTcpProxy,
  testServers,
  uniqueName,
  waitFor,
} from '@shop/testkit';
import {
  redisCommandsDuring,
  startEchoes,
  startGateway,
  upstreamEnv,
  type GatewayUnderTest,
} from './support';

describe('gateway rate limits on a shared Redis', () => {
  let echoes: Awaited<ReturnType<typeof startEchoes>>;
  const gateways: GatewayUnderTest[] = [];

  async function gatewayPair(env: Record<string, string>) {
    const rateLimitPrefix = `${uniqueName('rate-limit')}:`;
    const pair = await Promise.all([
      startGateway({ env: { ...upstreamEnv(echoes), ...env }, rateLimitPrefix }),
      startGateway({ env: { ...upstreamEnv(echoes), ...env }, rateLimitPrefix }),
    ]);
    gateways.push(...pair);
    return pair;
  }

  before(async () => {
    echoes = await startEchoes();
  });
  after(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
    await echoes.close();
  });

  test('when two gateways share Redis, then the 101st request in the window gets 429 from either', async () => {
    const [first, second] = await gatewayPair({ RATE_LIMIT_MAX: '100' });
    const statuses = [];
    for (let i = 0; i < 50; i++) {
      statuses.push((await first!.api.get('/api/products')).status);
      statuses.push((await second!.api.get('/api/products')).status);
    }
    assert.deepEqual(new Set(statuses), new Set([200]));

    const reached = echoes.products.received.length;
    const refused = await first!.api.get('/api/products');
    assert.equal(refused.status, 429);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.ok(refused.body.requestId);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(refused.headers.get('ratelimit') ?? '', /r=0/);
    assert.match(refused.headers.get('ratelimit-policy') ?? '', /q=100/);
    assert.equal((await second!.api.get('/api/products')).status, 429);
    assert.equal(echoes.products.received.length, reached, 'refused requests reach no service');
  });

  test('when two gateway processes share Redis, then together they allow 100 requests and refuse the 101st', async () => {
    const prefix = `${uniqueName('rate-limit-processes')}:`;
    const env = {
      REDIS_URL: testServers.redisUrl,
      RATE_LIMIT_MAX: '100',
      RATE_LIMIT_PREFIX: prefix,
      ...upstreamEnv(echoes),
    };
    const main = path.join(__dirname, '..', 'src', 'main.ts');
    const pair = await Promise.all([
      startServiceProcess(main, env),
      startServiceProcess(main, env),
    ]);
    const urls = pair.map((gateway) => gateway.url);
    const redis = new Redis(testServers.redisUrl);
    try {
      for (const url of urls)
        await waitFor(async () => (await call(url, 'GET', '/ready')).status === 200);

      const statuses = new Set<number>();
      for (let i = 0; i < 50; i++) {
        for (const url of urls) statuses.add((await call(url, 'GET', '/api/products')).status);
      }
      assert.deepEqual(statuses, new Set([200]));
      assert.equal((await call(urls[0]!, 'GET', '/api/products')).status, 429);
      assert.equal((await call(urls[1]!, 'GET', '/api/products')).status, 429);
    } finally {
      const codes = (await Promise.all(pair.map((gateway) => gateway.stop()))).map(
        (exit) => exit.code,
      );
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      redis.disconnect();
      assert.deepEqual(codes, [0, 0]);
    }
  });

  test('when an anonymous client is well under its limit, then its requests are counted in batches, none lost', async () => {
    const rateLimitPrefix = `${uniqueName('rate-limit-batches')}:`;
    const gateway = await startGateway({
      // A long batch window, so a busy machine spreading the 40 requests still batches them.
      env: { ...upstreamEnv(echoes), RATE_LIMIT_MAX: '1000', RATE_LIMIT_BATCH_MS: '200' },
      rateLimitPrefix,
    });
    gateways.push(gateway);
    assert.equal(
      (await gateway.api.get('/api/products')).status,
      200,
      'first sight: Redis decides',
    );

    const sent = await redisCommandsDuring(gateway.redis, async () => {
      const answers = await Promise.all(
        Array.from({ length: 40 }, () => gateway.api.get('/api/products')),
      );
      assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
      assert.match(answers[0]!.headers.get('ratelimit') ?? '', /"1000-in-60sec"; r=\d+; t=\d+/);
    });
    const [key] = await gateway.redis.keys(`${rateLimitPrefix}all:*`);
    await waitFor(async () => Number(await gateway.redis.get(key!)) === 41, {
      what: 'all 41 requests counted in Redis',
    });
    assert.ok(sent.length <= 10, `40 requests took ${sent.length} Redis commands`);
  });

  test('when logins exceed the stricter credential limit, then they get 429 while other routes pass', async () => {
    const [first, second] = await gatewayPair({ RATE_LIMIT_MAX: '100', AUTH_RATE_LIMIT_MAX: '3' });
    const credentials = { email: 'a@shop.example', password: 'guess' };
    const statuses = [
      (await first!.api.post('/api/users/login', credentials)).status,
      (await second!.api.post('/api/v1/users/register', credentials)).status,
      (await first!.api.post('/api/users/login', credentials)).status,
      (await second!.api.post('/api/users/login', credentials)).status,
    ];
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    assert.equal((await first!.api.post('/api/users/refresh', { refreshToken: 'x' })).status, 200);
    assert.equal((await second!.api.get('/api/products')).status, 200);
  });

  test('when a client varies X-Forwarded-For or the case of the path, then it is still counted as one client', async () => {
    const [gateway] = await gatewayPair({ RATE_LIMIT_MAX: '100', AUTH_RATE_LIMIT_MAX: '3' });
    const credentials = { email: 'a@shop.example', password: 'guess' };
    const statuses = [];
    for (const [i, path] of [
      '/api/users/login',
      '/api/users/LOGIN',
      '/api/users/Login',
      '/api/users/login',
    ].entries()) {
      const response = await gateway!.api.post(path, credentials, {
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
  });

  test('when Redis is unreachable, then requests pass without limits (fail open) and /ready says so', async () => {
    const proxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(testServers.redisUrl).port || 6379),
    });
    const gateway = await startGateway({
      env: { ...upstreamEnv(echoes), RATE_LIMIT_MAX: '2' },
      redisUrl: proxy.wrap(testServers.redisUrl),
    });
    gateways.push(gateway);
    try {
      await waitFor(() => gateway.redis.status === 'ready');
      assert.equal((await gateway.api.get('/api/products')).status, 200);
      assert.equal((await gateway.api.get('/api/products')).status, 200);
      assert.equal((await gateway.api.get('/api/products')).status, 429);

      proxy.cut();
      await waitFor(() => gateway.redis.status !== 'ready');
      for (let i = 0; i < 3; i++) {
        assert.equal((await gateway.api.get('/api/products')).status, 200);
      }
      const ready = await gateway.api.get('/ready');
      assert.equal(ready.status, 503);
      assert.equal(ready.body.checks.redis, 'down');

      proxy.restore();
      await waitFor(async () => (await gateway.api.get('/api/products')).status === 429, {
        what: 'the limit to hold again once Redis is back',
      });
    } finally {
      await proxy.close();
    }
  });
});
