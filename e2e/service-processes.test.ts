import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { databaseUrl } from '@shop/postgres';
import {
  call,
  hasSample,
  parsePrometheusText,
  spawnService,
  testServers,
  uniqueName,
  waitForExit,
  whileServiceRuns,
} from '@shop/testkit';
import { isolatedSystem } from '../scripts/system/isolation';

// Each service is started the way production starts it, from its main.ts with only environment
// variables, to prove the wiring (config, connections, routes, metrics, signals) and not just app.ts.
const root = path.resolve(__dirname, '..');
// Production's settings but for the names on the shared servers: the services' queues, exchanges,
// Redis keys and databases are this run's own, and go when it ends.
const system = isolatedSystem(uniqueName('boot'));
const database = (name: keyof typeof system.databases) =>
  databaseUrl(testServers.postgresUrl, system.databases[name]);

const services: Record<string, () => Record<string, string>> = {
  // Started as in production (NODE_ENV unset), where the registry refuses to run without its secret.
  'service-registry': () => ({ REGISTRY_TOKEN: 'e2e-registry-token-0123456789abcdef0123456789' }),
  'user-service': () => ({
    DATABASE_URL: database('users'),
    ORDER_SERVICE_URL: 'http://127.0.0.1:9',
    RABBITMQ_URL: testServers.rabbitmqUrl,
    REDIS_URL: testServers.redisUrl,
  }),
  'order-service': () => ({
    DATABASE_URL: database('orders'),
    RABBITMQ_URL: testServers.rabbitmqUrl,
    PRODUCT_SERVICE_URL: 'http://127.0.0.1:9',
  }),
  'inventory-service': () => ({
    DATABASE_URL: database('inventory'),
    RABBITMQ_URL: testServers.rabbitmqUrl,
  }),
  'product-service': () => ({
    // No MONGODB_URL: the embedded server, which only development and test allow.
    NODE_ENV: 'test',
    REDIS_URL: testServers.redisUrl,
    RABBITMQ_URL: testServers.rabbitmqUrl,
  }),
  'api-gateway': () => ({
    REDIS_URL: testServers.redisUrl,
    USER_SERVICE_URL: 'http://127.0.0.1:9',
    ORDER_SERVICE_URL: 'http://127.0.0.1:9',
    PRODUCT_SERVICE_URL: 'http://127.0.0.1:9',
    INVENTORY_SERVICE_URL: 'http://127.0.0.1:9',
  }),
};

after(() => system.remove());

for (const [service, env] of Object.entries(services)) {
  describe(`${service} as a process`, () => {
    test('when started from main.ts, then it answers /health, /ready and /metrics, and stops on SIGTERM', async () => {
      const main = path.join(root, service, 'src', 'main.ts');
      const { code } = await whileServiceRuns(
        main,
        { ...system.env, ...env() },
        async ({ url }) => {
          const health = await call(url, 'GET', '/health');
          assert.equal(health.status, 200);
          assert.equal(health.body.status, 'ok');

          const ready = await call(url, 'GET', '/ready');
          assert.equal(ready.status, 200, JSON.stringify(ready.body));

          const missing = await call(url, 'GET', '/no-such-route');
          assert.equal(missing.status, 404);
          assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
          assert.ok(missing.body.requestId);

          const metrics = await call(url, 'GET', '/metrics');
          const parsed = parsePrometheusText(metrics.text);
          assert.equal(parsed.types.get('http_request_duration_seconds'), 'histogram');
          assert.ok(
            hasSample(parsed, 'http_request_duration_seconds_bucket', 'route="/health"'),
            'the /health request is in the histogram',
          );
        },
      );
      assert.equal(code, 0);
    });
  });
}

for (const service of ['user-service', 'order-service', 'inventory-service']) {
  test(`when ${service} starts without DATABASE_URL, then it exits non-zero with one line naming it`, async () => {
    const env = services[service]!();
    delete env.DATABASE_URL;
    const { code, stderr, stdout } = await waitForExit(
      spawnService(path.join(root, service, 'src', 'main.ts'), env),
    );
    assert.notEqual(code, 0);
    assert.equal(stdout, '');
    assert.equal(stderr.trim(), 'Invalid configuration: DATABASE_URL is required');
  });
}

test('when product-service starts in production without MONGODB_URL, then it refuses with one line', async () => {
  const env = services['product-service']!();
  delete env.NODE_ENV;
  const { code, stderr } = await waitForExit(
    spawnService(path.join(root, 'product-service', 'src', 'main.ts'), env),
  );
  assert.notEqual(code, 0);
  assert.equal(stderr.trim(), 'Invalid configuration: MONGODB_URL is required');
});
