import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { start as startEmbeddedMongo, type EmbeddedMongo } from '@shop/mongo-embedded';
import { startTcpProxy, uniqueName, waitFor, type TcpProxy } from '@shop/testkit';
import { connectCatalog } from '../src/db/connection';
import { aProduct, adminToken, startProductService, type ServiceUnderTest } from './support';

// Always the embedded server: the outage is a proxy in front of it, whatever MONGODB_URL says.
let mongo: EmbeddedMongo;
let proxy: TcpProxy;
let service: ServiceUnderTest;

before(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: mongo.port });
  const database = await connectCatalog(
    `mongodb://127.0.0.1:${proxy.port}/${uniqueName('products')}`,
    {
      serverSelectionTimeoutMs: 300,
    },
  );
  service = await startProductService({
    database: { ...database, destroy: () => database.close() },
  });
});
after(async () => {
  proxy.restore();
  await service.close();
  await service.database.destroy();
  await proxy.close();
  await mongo.stop();
});

test('when MongoDB is unreachable, then cached products still answer, anything else is a 503 problem and /ready is 503', async () => {
  const cached = await service.http.post('/products', aProduct(), { token: adminToken });
  const uncached = await service.http.post('/products', aProduct(), { token: adminToken });
  assert.equal((await service.http.get(`/products/${cached.body.id}`)).status, 200);

  proxy.cut();
  const fromCache = await service.http.get(`/products/${cached.body.id}`);
  const notCached = await service.http.get(`/products/${uncached.body.id}`);
  const write = await service.http.post('/products', aProduct(), { token: adminToken });
  const ready = await service.http.get('/ready');

  assert.equal(fromCache.status, 200);
  assert.equal(notCached.status, 503, notCached.text);
  assert.match(notCached.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(write.status, 503);
  assert.equal(ready.status, 503);
  assert.equal(ready.body.checks.mongodb, 'down');

  proxy.restore();
  // The driver finds the server again on its next heartbeat, not on the first request.
  await waitFor(
    async () => (await service.http.get(`/products/${uncached.body.id}`)).status === 200,
    { what: 'reads to recover with MongoDB', timeoutMs: 15_000 },
  );
});
