import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { start as startEmbeddedMongo, type EmbeddedMongo } from '@shop/mongo-embedded';
import { startTcpProxy, uniqueName, type TcpProxy } from '@shop/testkit';
import { connectCatalog } from '../src/db/connection';

let mongo: EmbeddedMongo | undefined;
let proxy: TcpProxy | undefined;

before(async () => {
  mongo = await startEmbeddedMongo({ port: 0 });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: mongo.port });
});
after(async () => {
  await proxy?.close();
  await mongo?.stop();
});

const catalogUrl = () => `mongodb://127.0.0.1:${proxy?.port}/${uniqueName('products')}`;

test('when MongoDB comes up after the first attempt, then connecting keeps trying within the startup timeout', async () => {
  assert.ok(proxy);
  proxy.cut();
  const connecting = connectCatalog(catalogUrl(), {
    serverSelectionTimeoutMs: 100,
    startupTimeoutMs: 30_000,
  });
  // Later than one selection timeout, so the first attempt has certainly failed.
  setTimeout(() => proxy?.restore(), 500);
  const database = await connecting;
  try {
    assert.equal(await database.products.countDocuments().exec(), 0);
  } finally {
    await database.close();
  }
});

test('when MongoDB stays unreachable, then connecting fails once the startup timeout is over', async () => {
  assert.ok(proxy);
  proxy.cut();
  try {
    const started = Date.now();
    await assert.rejects(
      connectCatalog(catalogUrl(), { serverSelectionTimeoutMs: 100, startupTimeoutMs: 400 }),
      { name: 'MongooseServerSelectionError' },
    );
    assert.ok(Date.now() - started >= 400, 'it tried for the whole startup timeout');
  } finally {
    proxy.restore();
  }
});
