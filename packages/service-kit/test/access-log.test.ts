import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { call, startTestServer } from '@shop/testkit';
import { AppError, createLogger, createMetricsRegistry, createServiceApp } from '../src';

interface Line {
  level: string;
  msg: string;
  requestId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number | null };
  responseTime?: number;
  err?: { message: string };
}

async function serveAndCall(requests: [string, string][]): Promise<Line[]> {
  const lines: Line[] = [];
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
      slowRequestMs: 50,
      routes: (app) => {
        app.post('/beat/:id', async (_req, res) => {
          await sleep(80);
          res.status(204).end();
        });
        app.get('/orders', (_req, res) => {
          res.json([]);
        });
        app.get('/slow', async (_req, res) => {
          await sleep(80);
          res.json({});
        });
        app.get('/broken', () => {
          throw new AppError('unavailable', 'the warehouse is unreachable', {
            cause: new Error('connect ECONNREFUSED'),
          });
        });
      },
    }),
  );
  try {
    for (const [method, path] of requests) {
      await call(server.url, method, path, {
        headers: { 'x-request-id': `${method}${path.replaceAll('/', '.')}` },
      });
    }
    await call(server.url, 'GET', '/health');
  } finally {
    await server.close();
  }
  return lines;
}

test('when requests end, then each gets one access line: fast successes at debug, slow ones at info, refusals at warn, failures at error with their cause', async () => {
  const lines = await serveAndCall([
    ['GET', '/orders'],
    ['GET', '/slow'],
    ['POST', '/beat/1'],
    ['GET', '/nowhere'],
    ['GET', '/broken'],
  ]);
  const linesOf = (url: string) => lines.filter((line) => line.req?.url === url);
  const only = (url: string) => {
    const found = linesOf(url);
    assert.equal(found.length, 1, `one line for ${url}: ${JSON.stringify(found)}`);
    return found[0]!;
  };

  assert.equal(only('/orders').level, 'debug');
  assert.equal(only('/orders').requestId, 'GET.orders');
  assert.equal(only('/orders').res?.statusCode, 200);
  assert.equal(only('/slow').level, 'info');
  assert.ok((only('/slow').responseTime ?? 0) >= 50);
  assert.equal(only('/beat/1').level, 'debug', 'a routine request stays at debug even when slow');
  assert.equal(only('/nowhere').level, 'warn');
  assert.equal(only('/nowhere').res?.statusCode, 404);

  const broken = only('/broken');
  assert.equal(broken.level, 'error');
  assert.equal(broken.msg, 'the warehouse is unreachable');
  assert.equal(broken.err?.message, 'connect ECONNREFUSED');
  assert.equal(
    lines.filter((line) => line.requestId === 'GET.broken').length,
    1,
    'the failure is logged once, on its access line',
  );
  assert.equal(linesOf('/health').length, 0, 'probes are not logged');
});
