import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { call, startTcpProxy, startTestServer, testServers, type TcpProxy } from '@shop/testkit';
import type { RunningServer } from '../src';
import { testApp } from './support';

function hostAndPort(url: string) {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

describe('a dependency that cannot be reached', () => {
  let server: RunningServer;
  let proxy: TcpProxy;
  let pool: pg.Pool;

  before(async () => {
    proxy = await startTcpProxy(hostAndPort(testServers.postgresUrl));
    pool = new pg.Pool({ connectionString: proxy.wrap(testServers.postgresUrl), max: 2 });
    pool.on('error', () => undefined);
    const app = testApp({
      routes: (app) => {
        app.get('/from-postgres', async (_req, res) => {
          const { rows } = await pool.query('SELECT 1 AS one');
          res.json(rows[0]);
        });
        app.get('/bug', () => {
          throw new TypeError('a real bug');
        });
      },
    });
    server = await startTestServer(app);
  });

  after(async () => {
    await server.close();
    await pool.end();
    await proxy.close();
  });

  test('when Postgres is cut, then a request that needs it gets 503 problem details, not 500, and 200 once it is back', async () => {
    assert.equal((await call(server.url, 'GET', '/from-postgres')).status, 200);

    proxy.cut();
    const refused = await call(server.url, 'GET', '/from-postgres');
    proxy.restore();
    const again = await call(server.url, 'GET', '/from-postgres');

    assert.equal(refused.status, 503, refused.text);
    assert.match(refused.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(refused.body.type, '/problems/unavailable');
    assert.equal(again.status, 200);
  });

  test('when nothing listens where a dependency should be, then it is 503; a bug stays a 500', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as net.AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const nowhere = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` });
    const error = await nowhere.query('SELECT 1').catch((caught: unknown) => caught);
    await nowhere.end();
    const app = testApp({
      routes: (app) =>
        app.get('/refused', () => {
          throw error;
        }),
    });
    const refusing = await startTestServer(app);
    try {
      assert.equal((await call(refusing.url, 'GET', '/refused')).status, 503);
    } finally {
      await refusing.close();
    }
    assert.equal((await call(server.url, 'GET', '/bug')).status, 500);
  });
});
