import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { MongoClient } from 'mongodb';
import { start } from '@shop/mongo-embedded';

describe('starting and stopping the embedded server', () => {
  test('when its port is already taken, then start rejects instead of serving nothing', async () => {
    const first = await start();
    try {
      await assert.rejects(start({ port: first.port }), /EADDRINUSE/);
    } finally {
      await first.stop();
    }
  });

  test('when stop is called while a client is still connected, then it resolves, also a second time', async () => {
    const server = await start();
    const client = await new MongoClient(server.uri, { serverSelectionTimeoutMS: 500 }).connect();
    await client.db('shop').command({ ping: 1 });

    await server.stop();
    await server.stop();

    await assert.rejects(client.db('shop').command({ ping: 1 }));
    await client.close();
  });

  test('when a snapshot in the data dir is damaged, then start rejects naming the file', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'mongo-embedded-damaged-'));
    try {
      await mkdir(path.join(dataDir, 'shop'));
      await writeFile(path.join(dataDir, 'shop', 'products.bson'), Buffer.from([1, 2, 3]));

      await assert.rejects(start({ dataDir }), /products\.bson/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
