import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MongoClient, MongoServerError } from 'mongodb';
import { start } from '@shop/mongo-embedded';
import type { EmbeddedMongo } from '@shop/mongo-embedded';

/*
 * Started with a user, the server asks for SCRAM-SHA-256 as mongod does, so development uses
 * production's connection-string shape (user:password@host/db?authSource=admin). These tests
 * are about the embedded server's own setup and always run against it.
 */

describe('authentication with SCRAM-SHA-256', () => {
  let server: EmbeddedMongo;
  const address = (credentials: string) =>
    `${server.uri.replace('mongodb://', `mongodb://${credentials}`)}/shop?authSource=admin`;

  before(async () => {
    server = await start({ auth: { username: 'shop', password: 's3cret-pass' } });
  });

  after(async () => {
    await server.stop();
  });

  test('when a client connects with the right user and password, then its commands run', async () => {
    const client = await new MongoClient(address('shop:s3cret-pass@')).connect();
    try {
      await client.db().collection('items').insertOne({ sku: 'a' });
      assert.equal(await client.db().collection('items').countDocuments(), 1);
    } finally {
      await client.close();
    }
  });

  test('when a client gives a wrong password, then authentication fails with code 18', async () => {
    const client = new MongoClient(address('shop:wrong@'), { serverSelectionTimeoutMS: 2000 });

    await assert.rejects(
      client.connect(),
      (error: unknown) => error instanceof MongoServerError && error.code === 18,
    );
    await client.close();
  });

  test('when a client sends no credentials, then only the handshake works and reads are refused with 13', async () => {
    const client = await new MongoClient(`${server.uri}/shop`).connect();
    try {
      await assert.rejects(
        client.db().collection('items').findOne(),
        (error: unknown) => error instanceof MongoServerError && error.code === 13,
      );
      assert.equal((await client.db().command({ ping: 1 }))['ok'], 1);
    } finally {
      await client.close();
    }
  });
});
