import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStartArguments } from '../system/arguments';
import { endpointOf, startHints, type Dependency } from '../system/preflight';
import { planInstances } from '../system/services';

const portsOf = (plan: ReturnType<typeof planInstances>) =>
  Object.fromEntries(plan.map((instance) => [instance.label, instance.port]));

describe('the port plan of npm start', () => {
  test('when started plainly, then every service has its port of the design', () => {
    assert.deepEqual(portsOf(planInstances()), {
      'service-registry': 8500,
      'user-service': 3001,
      'product-service': 3003,
      'inventory-service': 3004,
      'order-service': 3002,
      'api-gateway': 3000,
    });
  });

  test('when started with --port-offset 100, then every port moves by 100', () => {
    const plan = portsOf(planInstances({ portOffset: 100 }));
    assert.equal(plan['api-gateway'], 3100);
    assert.equal(plan['service-registry'], 8600);
    assert.equal(plan['order-service'], 3102);
  });

  test('when started with --replicas 3, then each domain service runs three times on distinct ports, the gateway and registry once', () => {
    const plan = planInstances({ replicas: 3, portOffset: 5 });
    const orders = plan.filter((instance) => instance.service === 'order-service');
    assert.deepEqual(
      orders.map((instance) => [instance.label, instance.port]),
      [
        ['order-service#1', 3007],
        ['order-service#2', 3017],
        ['order-service#3', 3027],
      ],
    );
    assert.equal(plan.filter((instance) => instance.service === 'api-gateway').length, 1);
    assert.equal(plan.filter((instance) => instance.service === 'service-registry').length, 1);
    const ports = plan.map((instance) => instance.port);
    assert.equal(new Set(ports).size, ports.length, 'no two instances share a port');
    assert.equal(plan.length, 2 + 4 * 3);
  });

  test('when ports are 0 (tests), then every replica is left to a free port', () => {
    const plan = planInstances({ replicas: 2, overrides: { 'order-service': 0 } });
    const orders = plan.filter((instance) => instance.service === 'order-service');
    assert.deepEqual(
      orders.map((instance) => instance.port),
      [0, 0],
    );
  });
});

describe('npm start arguments', () => {
  test('when given --replicas and --port-offset, then both are read', () => {
    assert.deepEqual(parseStartArguments(['--replicas', '2', '--port-offset', '100']), {
      replicas: 2,
      portOffset: 100,
    });
    assert.deepEqual(parseStartArguments([]), { replicas: 1, portOffset: 0 });
  });

  for (const [argv, message] of [
    [['--replicas', '0'], /--replicas must be a whole number from 1 to 10/],
    [['--replicas', 'two'], /--replicas must be a whole number, not "two"/],
    [['--port-offset', '-5'], /--port-offset/],
    [['--port-offset', '60000'], /--port-offset must be a whole number from 0 to 57035/],
    [['--replica', '2'], /Unknown option '--replica'.*--replicas N and --port-offset N/],
  ] as const) {
    test(`when given ${argv.join(' ')}, then it refuses with one line`, () => {
      assert.throws(() => parseStartArguments([...argv]), message);
    });
  }
});

describe('the preflight', () => {
  test('when a URL names no port, then the default port of its scheme is meant', () => {
    assert.deepEqual(endpointOf('postgres://postgres@db.internal/shop'), {
      host: 'db.internal',
      port: 5432,
    });
    assert.deepEqual(endpointOf('redis://localhost'), { host: 'localhost', port: 6379 });
    assert.deepEqual(endpointOf('amqp://guest:guest@[::1]'), { host: '::1', port: 5672 });
    assert.deepEqual(endpointOf('amqps://broker.example.com'), {
      host: 'broker.example.com',
      port: 5671,
    });
    assert.deepEqual(endpointOf('mongodb://127.0.0.1/products'), {
      host: '127.0.0.1',
      port: 27017,
    });
  });

  const redis: Dependency = { name: 'Redis', kind: 'redis', url: 'redis://127.0.0.1:6380' };

  test('when on Linux, then the hint is Debian/Ubuntu and a docker run on the same port', () => {
    const hint = startHints(redis, 'linux');
    assert.equal(
      hint,
      [
        'Redis is not reachable at 127.0.0.1:6380. Start it with one of:',
        '  Debian/Ubuntu: sudo apt-get install -y redis-server && sudo systemctl start redis-server',
        '  Docker:        docker run -d --name shop-redis -p 6380:6379 redis:7-alpine',
      ].join('\n'),
    );
  });

  test('when on macOS, then the hint is Homebrew and docker', () => {
    const hint = startHints(
      { name: 'PostgreSQL', kind: 'postgres', url: 'postgres://postgres@localhost/postgres' },
      'darwin',
    );
    assert.match(hint, /not reachable at localhost:5432/);
    assert.match(hint, /macOS: +brew install postgresql@17 && brew services start postgresql@17/);
    assert.match(hint, /POSTGRES_HOST_AUTH_METHOD=trust postgres:17-alpine/);
    assert.doesNotMatch(hint, /apt-get/);
  });

  test('when on another platform, then both hints are given', () => {
    const hint = startHints(
      { name: 'RabbitMQ', kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1' },
      'win32',
    );
    assert.match(hint, /Debian\/Ubuntu: .*rabbitmq-server/);
    assert.match(hint, /macOS: .*brew install rabbitmq/);
    assert.match(hint, /-p 5672:5672 -p 15672:15672 rabbitmq:4-management-alpine/);
  });
});
