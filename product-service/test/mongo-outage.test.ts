import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { start as startEmbeddedMongo, type EmbeddedMongo } from '@shop/mongo-embedded';
import { startTcpProxy, uniqueName, waitFor, type TcpProxy } from '@shop/testkit';
import { connectCatalog, type CatalogDatabase } from '../src/db/connection';
import { aProduct, adminToken, startProductService, type ServiceUnderTest } from './support';

// An answer during the outage must come this fast: a request must never hang on the cut.
const PROMPTLY = { timeoutMs: 10_000 };

// Always the embedded server: the outage is a proxy in front of it, whatever MONGODB_URL says.
let mongo: EmbeddedMongo | undefined;
let proxy: TcpProxy | undefined;
let database: CatalogDatabase | undefined;
let service: ServiceUnderTest | undefined;

before(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: mongo.port });
  // The embedded server and the proxy share this process's event loop: on a loaded machine the
  // first handshake can outlast the short selection timeout, so the start gets attempts to spare.
  database = await connectCatalog(`mongodb://127.0.0.1:${proxy.port}/${uniqueName('products')}`, {
    serverSelectionTimeoutMs: 300,
    socketTimeoutMs: 5000,
    startupTimeoutMs: 30_000,
  });
  const connected = database;
  service = await startProductService({
    database: { ...connected, destroy: () => connected.close() },
    // A cache read that times out is a miss, and a miss during the outage is a 503.
    redisCommandTimeoutMs: 5000,
  });
});

// Every step runs even when setup failed half-way: a server left listening would keep this
// file's process alive until the runner's timeout.
after(async () => {
  const steps = [
    () => proxy?.restore(),
    () => service?.close(),
    () => database?.close(),
    () => proxy?.close(),
    () => mongo?.stop(),
  ];
  const failures: unknown[] = [];
  for (const step of steps) {
    try {
      await step();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, 'teardown failed');
});

test('when MongoDB is unreachable, then cached products still answer, anything else is a 503 problem and /ready is 503', async () => {
  assert.ok(service && proxy, 'the service started');
  const cached = await service.http.post('/products', aProduct(), { token: adminToken });
  const uncached = await service.http.post('/products', aProduct(), { token: adminToken });
  assert.equal(cached.status, 201, cached.text);
  assert.equal(uncached.status, 201, uncached.text);
  assert.equal((await service.http.get(`/products/${cached.body.id}`)).status, 200);

  proxy.cut();
  const fromCache = await service.http.get(`/products/${cached.body.id}`, PROMPTLY);
  const notCached = await service.http.get(`/products/${uncached.body.id}`, PROMPTLY);
  const write = await service.http.post('/products', aProduct(), {
    token: adminToken,
    ...PROMPTLY,
  });
  const ready = await service.http.get('/ready', PROMPTLY);

  assert.equal(fromCache.status, 200);
  assert.equal(notCached.status, 503, notCached.text);
  assert.match(notCached.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(write.status, 503);
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.mongodb, 'down');

  proxy.restore();
  // The driver finds the server again on its next heartbeat, not on the first request.
  const running = service;
  await waitFor(
    async () => (await running.http.get(`/products/${uncached.body.id}`, PROMPTLY)).status === 200,
    { what: 'reads to recover with MongoDB', timeoutMs: 20_000 },
  );
});
