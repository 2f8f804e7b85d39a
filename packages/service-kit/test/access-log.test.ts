import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { call, startTestServer } from '@shop/testkit';
import { createLogger, createMetricsRegistry, createServiceApp } from '../src';

test('when a routine request succeeds, then its access line is debug; others are info and carry the request id', async () => {
  const lines: { level: string; msg: string; requestId?: string; req?: { url: string } }[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ service: 'quiet', level: 'debug', destination });
  const server = await startTestServer(
    createServiceApp({
      service: 'quiet',
      logger,
      metrics: createMetricsRegistry('quiet'),
      routinePaths: /^\/beat\//,
      routes: (app) => {
        app.post('/beat/:id', (_req, res) => {
          res.status(204).end();
        });
        app.get('/orders', (_req, res) => {
          res.json([]);
        });
      },
    }),
  );
  try {
    await call(server.url, 'POST', '/beat/1', { headers: { 'x-request-id': 'beat-1' } });
    await call(server.url, 'GET', '/orders', { headers: { 'x-request-id': 'orders-1' } });
  } finally {
    await server.close();
  }
  const access = (url: string) => lines.find((line) => line.req?.url === url);
  assert.equal(access('/beat/1')?.level, 'debug');
  assert.equal(access('/orders')?.level, 'info');
  assert.equal(access('/orders')?.requestId, 'orders-1');
});
